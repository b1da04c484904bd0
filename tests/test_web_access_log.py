"""The access log: one Combined Log Format line per response, with the visitor's address,
and never the token of a confirm or unsubscribe link."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from flask import Flask

from newsletter.store import SqlStore
from newsletter.web import UNLIMITED, create_app
from newsletter.web.access_log import log_to, logger
from newsletter.web.server import make_server
from tests.support.clock import Clock
from tests.support.web import make_app, serving, web_settings


@pytest.fixture
def log() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = log_to(stream)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)


@pytest.fixture
def app(tmp_path: Path, store: SqlStore, clock: Clock) -> Flask:
    return make_app(web_settings(tmp_path / "site"), store, clock, UNLIMITED)


def test_a_line_per_response_with_the_visitors_address(app: Flask, log: io.StringIO) -> None:
    client = app.test_client()
    client.get(
        "/ask?x=1", environ_base={"REMOTE_ADDR": "198.51.100.9"}, headers={"User-Agent": 'a"b'}
    )
    client.get("/nothing", environ_base={"REMOTE_ADDR": "198.51.100.10"})
    first, second = log.getvalue().splitlines()
    assert first.startswith("198.51.100.9 - - [25/Nov/2026:09:00:00 +0000] ")
    assert '"GET /ask?x=1 HTTP/1.1" 200 ' in first and first.endswith('"-" "a\\x22b"')
    assert second.startswith("198.51.100.10 ") and '"GET /nothing HTTP/1.1" 404 ' in second


def test_the_token_of_a_link_is_never_logged(app: Flask, log: io.StringIO) -> None:
    client = app.test_client()
    client.get("/unsubscribe/secret-token-abc")
    client.post("/confirm/secret-token-def", data={"List-Unsubscribe": "One-Click"})
    text = log.getvalue()
    assert "secret-token" not in text
    assert '"GET /unsubscribe/<token> HTTP/1.1" 404 ' in text
    assert '"POST /confirm/<token> HTTP/1.1" ' in text


@pytest.mark.parametrize(("proxies", "seen"), [(0, "127.0.0.1"), (1, "203.0.113.9")])
def test_waitress_passes_forwarded_headers_only_behind_proxies(
    tmp_path: Path, store: SqlStore, clock: Clock, log: io.StringIO, proxies: int, seen: str
) -> None:
    # Without --proxies a client's X-Forwarded-For is a lie waitress deletes; with it,
    # waitress leaves it to ProxyFix (before, waitress deleted it either way).
    settings = web_settings(tmp_path / f"site{proxies}")
    app = create_app(settings, store, clock, rate_limits=UNLIMITED, proxies=proxies)
    with serving(make_server(app, "127.0.0.1", 0, threads=2, proxies=proxies)) as server:
        # Connection: close, so waitress closes its side before the server stops.
        headers = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Prefix": "/news"}
        headers["Connection"] = "close"
        answer = httpx.get(f"http://127.0.0.1:{server.port}/archive", headers=headers)
    assert log.getvalue().startswith(f"{seen} - - ")
    prefix = "/news" if proxies else ""
    assert answer.headers["Location"].endswith(f"{prefix}/archive/")
