"""WebSub: the feeds name the hub, and publish pings it for the feeds that changed.

The hub is a real HTTP server on a loopback port, recording what it is told.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import feedparser
import pytest

from newsletter.publish import publish_site
from newsletter.sources.websub import HubPingError, ping_hub
from newsletter.store import SqlStore
from tests.support.publish import (
    BASE_URL,
    FEED_FILES,
    NOW,
    add_entries,
    entry,
    feed_ids,
    make_settings,
)


@dataclass
class Hub:
    url: str
    status: int = 204
    pings: list[dict[str, list[str]]] = field(default_factory=list)
    content_types: list[str] = field(default_factory=list)

    def topics(self) -> list[str]:
        return sorted(ping["hub.url"][0] for ping in self.pings)


@pytest.fixture
def hub() -> Iterator[Hub]:
    state = Hub(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length).decode()
            state.pings.append(parse_qs(body))
            state.content_types.append(self.headers.get("Content-Type", ""))
            self.send_response(state.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hub"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_the_feeds_name_the_hub(store: SqlStore, tmp_path: Path, hub: Hub) -> None:
    settings = make_settings(tmp_path, extra=f"websub_hub: {hub.url}\n")
    add_entries(store, feed_ids(store, settings)["Running Training"], [entry(1)])
    publish_site(settings, store, NOW)
    out = settings.root / "public"
    for name in ("feed.xml", "atom.xml", "archive/feed.xml"):
        parsed = feedparser.parse((out / name).read_bytes())
        assert parsed.bozo == 0
        assert [link.href for link in parsed.feed.links if link.rel == "hub"] == [hub.url]
    feed = json.loads((out / "feed.json").read_text(encoding="utf-8"))
    assert feed["hubs"] == [{"type": "WebSub", "url": hub.url}]


def test_publish_pings_the_hub_only_for_feeds_that_changed(
    store: SqlStore, tmp_path: Path, hub: Hub
) -> None:
    settings = make_settings(tmp_path, extra=f"websub_hub: {hub.url}\n")
    feeds = feed_ids(store, settings)
    add_entries(store, feeds["Running Training"], [entry(2)])

    first = publish_site(settings, store, NOW)
    assert hub.topics() == sorted(BASE_URL + name for name in FEED_FILES)
    assert all(ping["hub.mode"] == ["publish"] for ping in hub.pings)
    assert set(hub.content_types) == {"application/x-www-form-urlencoded"}
    assert sorted(first.pinged) == hub.topics()

    hub.pings.clear()
    unchanged = publish_site(settings, store, NOW + timedelta(minutes=10))
    assert hub.pings == [] and unchanged.pinged == []

    add_entries(store, feeds["Running Training"], [entry(1)])
    publish_site(settings, store, NOW + timedelta(minutes=20))
    assert hub.topics() == [BASE_URL + "atom.xml", BASE_URL + "feed.json", BASE_URL + "feed.xml"]


def test_a_failing_hub_is_reported_and_never_fatal(
    store: SqlStore, tmp_path: Path, hub: Hub
) -> None:
    hub.status = 500
    settings = make_settings(tmp_path, extra=f"websub_hub: {hub.url}\n")
    add_entries(store, feed_ids(store, settings)["Running Training"], [entry(1)])

    report = publish_site(settings, store, NOW)

    assert (settings.root / "public" / "feed.xml").exists()
    assert report.pinged == []
    assert len(report.problems) == 1
    assert report.problems[0].startswith(f"the WebSub hub {hub.url} was not notified: ")
    assert "500" in report.problems[0] and "(and 3 more)" in report.problems[0]


def test_an_unreachable_hub_is_one_sentence() -> None:
    import socket

    with socket.socket() as sock:  # a port that is surely closed: bound, never listening
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/hub"
        with pytest.raises(HubPingError) as caught:
            ping_hub(url, [BASE_URL + "feed.xml"])
    message = str(caught.value)
    assert message.startswith(f"the WebSub hub {url} was not notified: cannot connect")
    assert "\n" not in message


def test_no_topics_means_no_request(hub: Hub) -> None:
    ping_hub(hub.url, [])
    assert hub.pings == []
