"""What browsers and crawlers ask of every site: /robots.txt, /favicon.ico, text
compressed with gzip, and hashed static files cached for a year."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from newsletter.store import SqlStore
from newsletter.web import UNLIMITED
from tests.support.clock import Clock
from tests.support.publish import add_digest
from tests.support.web import make_app, web_settings

GZIP = {"Accept-Encoding": "gzip, deflate, br"}


@pytest.fixture
def app(tmp_path: Path, store: SqlStore, clock: Clock) -> Flask:
    add_digest(store, "2026-W48")
    return make_app(web_settings(tmp_path / "site"), store, clock, UNLIMITED)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def stylesheet_href(client: FlaskClient) -> str:
    html = client.get("/").get_data(as_text=True)
    return html.split('<link rel="stylesheet" href="', 1)[1].split('"', 1)[0]


def test_robots_txt_keeps_crawlers_out_of_the_links_of_emails(client: FlaskClient) -> None:
    robots = client.get("/robots.txt")
    assert robots.status_code == 200
    assert robots.headers["Content-Type"] == "text/plain; charset=utf-8"
    lines = robots.get_data(as_text=True).splitlines()
    assert lines == ["User-agent: *", "Disallow: /confirm/", "Disallow: /unsubscribe/"]


def test_pages_let_themselves_fetch_robots_txt(client: FlaskClient) -> None:
    # Lighthouse reads robots.txt from inside the page: connect-src 'none' blocked it.
    for path in ("/", "/ask", "/archive/", "/archive/2026-W48.html", "/nothing"):
        assert "connect-src 'self'" in client.get(path).headers["Content-Security-Policy"]


def test_favicon_ico_is_an_icon(client: FlaskClient) -> None:
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["Content-Type"] == "image/vnd.microsoft.icon"
    assert icon.data[:4] == b"\x00\x00\x01\x00" and icon.data[4] >= 1  # ICO, 1+ images
    assert icon.headers["Cache-Control"] == "public, max-age=86400"


def test_a_hashed_stylesheet_is_cached_for_a_year(client: FlaskClient) -> None:
    href = stylesheet_href(client)
    assert client.get(href).headers["Cache-Control"] == "public, max-age=31536000, immutable"
    # Another version (an old page's link) or none: the current file, for five minutes.
    for other in ("/static/site.css", "/static/site.css?v=0123456789ab"):
        answer = client.get(other)
        assert answer.status_code == 200 and answer.data == client.get(href).data
        assert answer.headers["Cache-Control"] == "public, max-age=300"


@pytest.mark.parametrize("path", ["/archive/", "/feed.xml", "/feed.json", "/static/site.css"])
def test_text_is_gzipped_for_clients_that_accept_it(client: FlaskClient, path: str) -> None:
    plain = client.get(path)
    zipped = client.get(path, headers=GZIP)
    assert "Content-Encoding" not in plain.headers
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data) == plain.data
    assert len(zipped.data) < len(plain.data)
    assert int(zipped.headers["Content-Length"]) == len(zipped.data)
    for answer in (plain, zipped):
        assert "Accept-Encoding" in answer.headers["Vary"]
    tag = plain.headers["ETag"]
    assert zipped.headers["ETag"] == "W/" + tag
    for given in (tag, "W/" + tag):  # either tag still earns a 304
        assert client.get(path, headers={**GZIP, "If-None-Match": given}).status_code == 304


def test_a_page_with_a_form_is_gzipped_too(client: FlaskClient) -> None:
    page = client.get("/", headers=GZIP)
    assert page.headers["Content-Encoding"] == "gzip"
    assert b"<form" in gzip.decompress(page.data)


def test_no_gzip_when_refused_tiny_or_already_compressed(client: FlaskClient) -> None:
    refused = client.get("/archive/", headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in refused.headers
    assert "Content-Encoding" not in client.get("/robots.txt", headers=GZIP).headers  # tiny
    icon = client.get("/favicon.ico", headers=GZIP)  # PNG data: nothing to gain
    assert "Content-Encoding" not in icon.headers and "Vary" not in icon.headers
