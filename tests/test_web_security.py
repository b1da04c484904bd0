"""What every response carries (security headers), the session cookie's attributes, the
error pages, the stylesheet, and the pages' head (title, language, feed links)."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from newsletter.config import Settings, load_settings
from newsletter.store import SqlStore
from newsletter.subscribers import Links, load_tokens
from newsletter.web import UNLIMITED, create_app
from newsletter.web.services import close
from tests.support.clock import Clock
from tests.support.publish import add_digest
from tests.support.web import Browser, add_subscriber, main_text, make_app, web_settings

PAGES = ["/", "/ask", "/ask/thanks", "/archive/", "/feed.xml", "/atom.xml", "/feed.json"]
PAGES += ["/healthz", "/static/site.css", "/static/favicon.svg", "/archive/2026-W48.html"]
ERRORS = ["/nothing-here", "/confirm/forged", "/unsubscribe/forged", "/static/secret.key"]


@pytest.fixture
def app(settings: Settings, store: SqlStore, clock: Clock) -> Flask:
    add_digest(store, "2026-W48")
    return make_app(settings, store, clock, UNLIMITED)


@pytest.mark.parametrize("path", PAGES + ERRORS)
def test_every_response_carries_the_security_headers(app: Flask, path: str) -> None:
    response = app.test_client().get(path)
    assert response.status_code == (404 if path in ERRORS else 200)
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    for directive in ("default-src 'none'", "frame-ancestors 'none'", "base-uri 'none'"):
        assert directive in csp
    assert "script-src" not in csp  # default-src 'none': no script at all
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] in ("strict-origin-when-cross-origin", "no-referrer")


def test_our_pages_and_the_archive_allow_only_our_stylesheet(app: Flask) -> None:
    client = app.test_client()
    for path in ("/", "/archive/", "/archive/2026-W48.html", "/archive/2026-W01.html"):
        csp = client.get(path).headers["Content-Security-Policy"]
        assert "style-src 'self'" in csp and "unsafe-inline" not in csp, path
        assert "form-action 'self'" in csp and "img-src 'self'" in csp, path


def test_pages_have_no_inline_style_or_script(app: Flask, settings: Settings) -> None:
    browser = Browser(app)
    for path in ("/", "/ask", "/ask/thanks", "/nothing"):
        html = browser.get(path).get_data(as_text=True)
        assert "<script" not in html and "<style" not in html and " style=" not in html


def test_a_page_has_the_site_title_language_and_feed_links(app: Flask) -> None:
    html = Browser(app).get("/").get_data(as_text=True)
    assert html.startswith('<!doctype html>\n<html lang="en-GB">')
    assert "<title>Subscribe · Best Running Tips</title>" in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    for kind, href in (
        ("application/rss+xml", "/feed.xml"),
        ("application/atom+xml", "/atom.xml"),
        ("application/feed+json", "/feed.json"),
    ):
        assert f'<link rel="alternate" type="{kind}" title="Best Running Tips (' in html
        assert f'href="{href}"' in html
    assert '<a class="skip" href="#main">Skip to content</a>' in html
    assert '<meta name="robots"' not in html  # only token pages ask not to be indexed


def test_the_stylesheet_is_linked_by_its_hash_and_cached(app: Flask) -> None:
    client = app.test_client()
    html = client.get("/").get_data(as_text=True)
    href = html.split('<link rel="stylesheet" href="', 1)[1].split('"', 1)[0]
    assert href.startswith("/static/site.css?v=")
    css = client.get(href)
    assert css.status_code == 200
    assert css.headers["Content-Type"] == "text/css; charset=utf-8"
    assert b":focus-visible" in css.data
    assert client.get(href, headers={"If-None-Match": css.headers["ETag"]}).status_code == 304


def test_a_site_can_override_the_stylesheet(app: Flask, settings: Settings) -> None:
    (settings.root / "templates" / "web").mkdir(parents=True)
    (settings.root / "templates" / "web" / "site.css").write_text("body { color: red; }\n")
    fresh = create_app(settings, app.extensions["newsletter"].store())
    served = fresh.test_client().get("/static/site.css").data
    # Its own rules, after the palette (templates/web/palette.css) its var(--…) can use.
    assert served.endswith(b"\nbody { color: red; }\n") and served.startswith(b"/* The one palette")


def test_the_session_cookie_is_lax_httponly_and_secure_over_https(app: Flask) -> None:
    cookie = app.test_client().get("/").headers["Set-Cookie"]
    assert cookie.startswith("__Host-newsletter=")
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"secure", "httponly", "samesite=lax", "path=/"} <= attributes
    assert not any(a.startswith("domain=") for a in attributes)


def test_over_plain_http_the_cookie_is_not_secure(
    tmp_path: Path, store: SqlStore, clock: Clock
) -> None:
    settings = web_settings(tmp_path / "local", base_url="http://127.0.0.1:8000/")
    cookie = make_app(settings, store, clock).test_client().get("/").headers["Set-Cookie"]
    assert cookie.startswith("newsletter=")
    assert "secure" not in cookie.lower()
    assert "samesite=lax" in cookie.lower()


def test_only_pages_with_a_form_set_a_cookie(app: Flask) -> None:
    client = app.test_client()
    for path in ("/feed.xml", "/archive/", "/healthz", "/ask/thanks", "/nothing"):
        assert "Set-Cookie" not in client.get(path).headers, path


def test_pages_are_never_cached(app: Flask) -> None:
    client = app.test_client()
    for path in ("/", "/ask", "/nothing"):
        assert client.get(path).headers["Cache-Control"] == "no-store"


def test_posts_to_unknown_or_read_only_urls_are_404_and_405(app: Flask) -> None:
    client = app.test_client()
    assert client.post("/nothing-here").status_code == 404
    wrong = client.post("/feed.xml")
    assert wrong.status_code == 405 and "GET" in wrong.headers["Allow"]
    assert "Not available this way" in main_text(wrong)
    assert client.put("/").status_code == 405


def test_an_oversized_post_is_refused(app: Flask) -> None:
    browser = Browser(app)
    browser.get("/ask")
    answer = browser.post("/ask", {"title": "t", "body": "x" * 70_000})
    assert answer.status_code == 413
    assert "That was too long" in main_text(answer)


def test_a_database_that_is_down_gets_a_page_on_pages_and_text_on_feeds(
    tmp_path: Path,
) -> None:
    root = tmp_path / "down"
    web_settings(root)
    unreachable = "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2"
    settings = load_settings(
        root / "feeds.yaml",
        {"NEWSLETTER_DATABASE_URL": unreachable, "NEWSLETTER_SECRET_KEY": "k" * 32},
    )
    app = create_app(settings)
    try:
        browser = Browser(app)
        browser.get("/")
        page = browser.post("/", {"email": "ann@example.com"})
        assert page.status_code == 503
        assert "Back soon" in main_text(page)
        assert page.headers["Retry-After"] == "60"
        feed = app.test_client().get("/feed.xml")
        assert feed.status_code == 503 and feed.headers["Content-Type"].startswith("text/plain")
    finally:
        close(app)


def test_building_the_app_reads_no_key_until_a_form_needs_it(tmp_path: Path) -> None:
    root = tmp_path / "fresh"
    web_settings(root)
    settings = load_settings(root / "feeds.yaml", {})  # no NEWSLETTER_SECRET_KEY
    app = create_app(settings)
    try:
        assert not (root / "db" / "secret.key").exists()
        assert app.test_client().get("/").status_code == 200
        assert (root / "db" / "secret.key").stat().st_mode & 0o777 == 0o600
    finally:
        close(app)


def test_the_session_key_is_not_the_links_key(app: Flask, settings: Settings) -> None:
    """A session cookie signed with the links' key could be replayed as a token."""
    ctx = app.extensions["newsletter"]
    with app.test_request_context("/"):
        assert ctx.session_key() != "web-tests-secret-key-0123456789abcdef"
        assert len(ctx.session_key()) == 64


def test_token_pages_send_no_referrer_even_on_errors(
    app: Flask, store: SqlStore, settings: Settings, clock: Clock
) -> None:
    record = add_subscriber(store, "ann@example.com", "active", clock.now)
    link = Links(
        settings.env.base_url, load_tokens(settings.env.secret_key, settings.db_dir)
    ).unsubscribe(record.id, record.email_key)
    client = app.test_client()
    for path in (link.split("example.com", 1)[1], "/unsubscribe/forged", "/confirm/forged"):
        response = client.get(path)
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
