"""The web app's feed and archive routes: content types, ETag, Last-Modified, 304.

Route tests use Flask's test client; one test runs the app under a real waitress server
on a loopback port.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path

import feedparser
import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient

from newsletter.config import Settings, load_settings
from newsletter.publish import publish_site
from newsletter.store import SqlStore
from newsletter.web import create_app
from newsletter.web.server import make_server
from newsletter.web.services import close
from tests.support.publish import (
    NOW,
    add_digest,
    add_entries,
    entry,
    feed_ids,
    make_settings,
)
from tests.support.web import serving

TYPES = {
    "/feed.xml": "application/rss+xml; charset=utf-8",
    "/atom.xml": "application/atom+xml; charset=utf-8",
    "/feed.json": "application/feed+json; charset=utf-8",
    "/archive/feed.xml": "application/rss+xml; charset=utf-8",
    "/archive/": "text/html; charset=utf-8",
    "/archive/2026-W48.html": "text/html; charset=utf-8",
}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def filled(store: SqlStore, settings: Settings) -> SqlStore:
    add_entries(store, feed_ids(store, settings)["Running Training"], [entry(1), entry(2)])
    add_digest(store, "2026-W48")
    return store


@pytest.fixture
def app(settings: Settings, filled: SqlStore) -> Flask:
    return create_app(settings, filled, lambda: NOW)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.mark.parametrize("path", sorted(TYPES))
def test_before_publishing_the_routes_render_from_the_store(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == TYPES[path]
    assert response.headers["ETag"].startswith('"')
    assert response.headers["Last-Modified"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_published_files_are_served_as_written_with_the_same_etag(
    client: FlaskClient, settings: Settings, filled: SqlStore
) -> None:
    rendered = {path: client.get(path) for path in TYPES}
    publish_site(settings, filled, NOW)
    public = settings.root / "public"
    (public / "feed.xml").write_bytes(b"<rss version='2.0'>marker</rss>")  # proves the file

    served = {path: client.get(path) for path in TYPES}

    assert served["/feed.xml"].data == b"<rss version='2.0'>marker</rss>"
    for path in ("/atom.xml", "/feed.json", "/archive/feed.xml", "/archive/2026-W48.html"):
        name = path.lstrip("/")
        assert served[path].data == (public / name).read_bytes() == rendered[path].data
        assert served[path].headers["ETag"] == rendered[path].headers["ETag"]
    assert served["/archive/"].data == (public / "archive" / "index.html").read_bytes()
    mtime = (public / "atom.xml").stat().st_mtime
    assert parsedate_to_datetime(served["/atom.xml"].headers["Last-Modified"]).timestamp() == (
        int(mtime)
    )


def test_the_feed_says_when_its_content_last_changed(client: FlaskClient) -> None:
    response = client.get("/feed.xml")
    # entry(1) was published an hour before NOW, and stored (changed) at NOW
    assert parsedate_to_datetime(response.headers["Last-Modified"]) == NOW
    parsed = feedparser.parse(response.data)
    assert parsed.bozo == 0 and [e.title for e in parsed.entries] == [
        "Tip number 1",
        "Tip number 2",
    ]


@pytest.mark.parametrize("path", ["/feed.xml", "/atom.xml", "/feed.json", "/archive/"])
def test_a_conditional_request_gets_304(client: FlaskClient, path: str) -> None:
    first = client.get(path)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]

    by_etag = client.get(path, headers={"If-None-Match": etag})
    by_date = client.get(path, headers={"If-Modified-Since": modified})
    stale = client.get(path, headers={"If-None-Match": '"something-else"'})
    older = parsedate_to_datetime(modified) - timedelta(seconds=1)
    changed_since = client.get(path, headers={"If-Modified-Since": format_datetime(older, True)})

    assert by_etag.status_code == 304 and by_etag.data == b""
    assert by_etag.headers["ETag"] == etag
    assert by_date.status_code == 304
    assert stale.status_code == 200 and stale.data == first.data
    assert changed_since.status_code == 200


def test_a_new_entry_changes_the_etag(
    client: FlaskClient, filled: SqlStore, settings: Settings
) -> None:
    before = client.get("/feed.xml").headers["ETag"]
    later = NOW + timedelta(hours=1)
    feeds = feed_ids(filled, settings)
    add_entries(filled, feeds["Running Training"], [entry(0, published_at=later)], now=later)
    after = client.get("/feed.xml", headers={"If-None-Match": before})
    assert after.status_code == 200 and after.headers["ETag"] != before
    assert parsedate_to_datetime(after.headers["Last-Modified"]) == later


def test_unknown_and_malformed_weeks_are_404(client: FlaskClient) -> None:
    assert client.get("/archive/2026-W01.html").status_code == 404
    assert client.get("/archive/2026-W99.html").status_code == 404
    assert client.get("/archive/..%2ffeeds.yaml.html").status_code == 404
    assert client.get("/archive/index.html").status_code == 200


def test_archive_pages_carry_a_content_security_policy(client: FlaskClient) -> None:
    page = client.get("/archive/2026-W48.html")
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert b"%%UNSUBSCRIBE_URL%%" not in page.data


def test_head_answers_like_get_without_a_body(client: FlaskClient) -> None:
    response = client.head("/feed.json")
    assert response.status_code == 200 and response.data == b""
    assert response.headers["Content-Type"] == TYPES["/feed.json"]


def test_healthz(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "last_run": None}


def test_create_app_does_no_work_until_a_request_needs_it(tmp_path: Path) -> None:
    config = make_settings(tmp_path).config_path
    unreachable = "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2"
    settings = load_settings(config, {"NEWSLETTER_DATABASE_URL": unreachable})
    app = create_app(settings)  # no database touched yet
    client = app.test_client()
    assert client.get("/healthz").status_code == 503
    feed = client.get("/feed.xml")
    assert feed.status_code == 503
    assert feed.data.decode().startswith("The site's database is not available right now")
    close(app)


def test_an_app_without_a_store_opens_the_configured_one(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)  # the default embedded SQLite under db/
    app = create_app(settings)
    try:
        response = app.test_client().get("/feed.xml")
        assert response.status_code == 200
        assert feedparser.parse(response.data).entries == []
        assert (tmp_path / "db" / "newsletter.sqlite3").exists()
    finally:
        close(app)


@pytest.fixture
def live(app: Flask) -> Iterator[str]:
    with serving(make_server(app, "127.0.0.1", 0, threads=2)) as server:
        yield f"http://127.0.0.1:{server.port}"


def test_conditional_get_against_the_real_server(
    live: str, settings: Settings, filled: SqlStore
) -> None:
    publish_site(settings, filled, NOW)
    with httpx.Client(base_url=live, timeout=10) as http:
        first = http.get("/feed.xml")
        assert first.status_code == 200
        assert first.headers["content-type"] == TYPES["/feed.xml"]
        assert first.content == (settings.root / "public" / "feed.xml").read_bytes()
        etag, modified = first.headers["etag"], first.headers["last-modified"]

        again = http.get("/feed.xml", headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        dated = http.get("/feed.xml", headers={"If-Modified-Since": modified})
        assert dated.status_code == 304
        json_feed = http.get("/feed.json")
        assert json_feed.headers["content-type"] == TYPES["/feed.json"]
        assert http.get("/feed.json", headers={"If-None-Match": '"stale"'}).status_code == 200
        assert http.get("/healthz").json()["status"] == "ok"
