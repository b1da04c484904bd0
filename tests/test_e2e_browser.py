"""End to end, as a reader does it: headless Chromium (Playwright) against the real app
under waitress on a loopback port, with a real SMTP server (aiosmtpd) on loopback.

* A person subscribes, finds the confirmation email, opens its link and presses Confirm;
  a digest is built and sent; they follow its unsubscribe link and press Unsubscribe.
* A person asks a question; `newsletter questions approve` and `newsletter publish` run;
  the question is in feed.xml.

Screenshots of the pages at phone width land in test-artifacts/ (git-ignored). Runs on
SQLite and PostgreSQL; skips only when /usr/bin/chromium is absent.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import feedparser
import httpx
import pytest

from newsletter.digest import build_digest
from newsletter.mail import SendOptions, send_digest
from newsletter.store import SqlStore
from newsletter.store.deliveries import DeliveryState
from newsletter.store.engine import make_engine, upgrade
from newsletter.web import create_app
from newsletter.web.server import make_server
from newsletter.web.services import utc_now
from tests.support.browser import ARTIFACTS, needs_chromium
from tests.support.send import Recorder, recording_smtp, run_newsletter
from tests.support.web import SECRET, add_subscriber, serving, web_settings

PHONE = {"width": 390, "height": 844}
LINK = re.compile(r"https?://\S+/(?:confirm|unsubscribe)/[A-Za-z0-9._-]+")

pytestmark = [needs_chromium, pytest.mark.slow]  # a real browser


class LateApp:
    """The WSGI app, handed to the server before it exists: the server binds first, so
    the base URL (which every email link carries) knows its port."""

    app: Any = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.app(environ, start_response)


@dataclass
class Site:
    base: str  # http://127.0.0.1:PORT/
    root: Path
    env: dict[str, str]
    store: SqlStore
    smtp: Recorder
    settings: Any

    def cli(self, *args: str) -> str:
        done = run_newsletter(*args, cwd=self.root, env=self.env)
        assert done.returncode == 0, done.stderr
        return str(done.stdout)


@pytest.fixture
def site(tmp_path: Path, database_url: str) -> Iterator[Site]:
    engine = make_engine(database_url)
    upgrade(engine)  # PostgreSQL is never migrated on the fly
    store = SqlStore(engine)
    late = LateApp()
    server = make_server(late, "127.0.0.1", 0, threads=4)  # type: ignore[arg-type]
    base = f"http://127.0.0.1:{server.port}/"
    with recording_smtp() as (recorder, smtp_url):
        env = {
            "NEWSLETTER_BASE_URL": base,
            "NEWSLETTER_SMTP_URL": smtp_url,
            "NEWSLETTER_DATABASE_URL": database_url,
            "NEWSLETTER_SECRET_KEY": SECRET,
        }
        root = tmp_path / "site"
        settings = web_settings(root, base_url=base, **env)
        late.app = create_app(settings, store)
        try:
            with serving(server):
                yield Site(base, root, env, store, recorder, settings)
        finally:
            store.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    page = context.new_page()
    problems: list[str] = []

    def console(message: Any) -> None:
        # A page answered 400 or 404 on purpose logs "Failed to load resource"; anything
        # else (a CSP violation above all) is a problem.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(message.text)

    def response(answer: Any) -> None:
        if answer.request.resource_type != "document" and answer.status >= 400:
            problems.append(f"{answer.status} {answer.url}")

    page.on("console", console)
    page.on("response", response)
    page.on("pageerror", lambda error: problems.append(str(error)))
    try:
        yield page
        assert problems == []
    finally:
        context.close()


def shoot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"web-{name}.png"), full_page=True)
    width = page.viewport_size["width"]
    assert page.evaluate("document.scrollingElement.scrollWidth") <= width, f"{name}: sideways"
    styled = page.eval_on_selector("body", "e => getComputedStyle(e).fontFamily")
    assert "system-ui" in styled, f"{name}: the stylesheet did not load"


# Every form submission and link click below waits in page.expect_navigation(): leaving
# the block means the next page has loaded (a plain wait could see the old one).


def heading(page: Any) -> str:
    return str(page.locator("h1").inner_text())


def link_in(recorder: Recorder, index: int, kind: str) -> str:
    recorder.wait_for(index + 1)
    message = recorder.messages[index].message
    body = message.get_body(("plain",))
    assert body is not None
    text = str(body.get_content())
    found: list[str] = [u for u in LINK.findall(text) if f"/{kind}/" in u]
    assert found, text
    return found[0]


def test_subscribe_confirm_receive_a_digest_and_unsubscribe(site: Site, page: Any) -> None:
    page.goto(site.base)
    assert page.title() == "Subscribe · Best Running Tips"
    shoot(page, "home")

    # Keyboard only: the skip link first, then the email field, then Enter.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.get_by_label("Email address").focus()
    page.keyboard.type("reader@example.org")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert heading(page) == "Check your email"
    shoot(page, "check-email")

    confirm = link_in(site.smtp, 0, "confirm")
    assert confirm.startswith(site.base + "confirm/")
    assert site.smtp.messages[0].rcpt_tos == ["reader@example.org"]
    page.goto(confirm)
    assert heading(page) == "Confirm your subscription"
    assert site.store.subscriber("reader@example.org").state == "pending"  # type: ignore[union-attr]
    shoot(page, "confirm")
    button = page.get_by_role("button", name="Confirm subscription")
    assert button.bounding_box()["height"] >= 44  # a finger-sized target
    with page.expect_navigation():
        button.click()
    assert heading(page) == "You're subscribed"
    shoot(page, "confirmed")
    assert site.store.subscriber("reader@example.org").state == "active"  # type: ignore[union-attr]

    now = utc_now()
    built = build_digest(site.settings, site.store, now)
    assert built.digest is not None
    assert site.store.delivery_counts(built.digest.id)[DeliveryState.PENDING] == 1
    report = send_digest(site.settings, site.store, utc_now, SendOptions(built.week))
    assert report.sent == 1 and not report.paused
    unsubscribe = link_in(site.smtp, 1, "unsubscribe")
    digest = site.smtp.messages[1].message
    assert str(digest["List-Unsubscribe"]).startswith(f"<{unsubscribe}>, <mailto:")
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    page.goto(unsubscribe)
    assert heading(page) == "Unsubscribe"
    shoot(page, "unsubscribe")
    with page.expect_navigation():
        page.get_by_role("button", name="Unsubscribe").click()
    assert heading(page) == "You're unsubscribed"
    shoot(page, "unsubscribed")
    assert site.store.subscriber("reader@example.org").state == "unsubscribed"  # type: ignore[union-attr]


def test_ask_a_question_that_appears_in_the_feed_once_approved(site: Site, page: Any) -> None:
    page.goto(site.base)
    with page.expect_navigation():
        page.get_by_role("link", name="Ask a question").first.click()
    assert heading(page) == "Ask a question"
    page.get_by_label("Your email address").fill("not an address")
    with page.expect_navigation():
        page.get_by_role("button", name="Send question").click()
    assert page.title().startswith("Error: ")
    errors = page.locator(".error-summary li").all_inner_texts()
    assert errors == [
        "Title: write a title",
        "Your question: write a question",
        "Your email address: 'not an address' is not a valid email address: it contains "
        "spaces or control characters",
    ]
    shoot(page, "ask-errors")
    page.locator(".error-summary a").first.click()  # the summary's link moves to the field
    assert page.evaluate("document.activeElement.id") == "f-title"

    page.get_by_label("Title").fill("Cadence & <hills>?")
    page.get_by_label("Your question").fill("How many steps a minute?\n\nOn hills, too.")
    page.get_by_label("Your name").fill("Ann")
    page.get_by_label("Your email address").fill("ann@example.org")
    shoot(page, "ask")
    with page.expect_navigation():
        page.get_by_role("button", name="Send question").click()
    assert heading(page) == "Thank you for your question"
    shoot(page, "asked")

    listed = site.cli("questions", "list", "--pending")
    number = re.search(r"^\s*(\d+)\s+pending\s.*Cadence & <hills>\?$", listed, re.M)
    assert number, listed
    assert "approved" in site.cli("questions", "approve", number.group(1))
    site.cli("publish")

    feed = httpx.get(site.base + "feed.xml", timeout=10)
    parsed = feedparser.parse(feed.content)
    assert [e.title for e in parsed.entries] == ["Cadence & ?"]  # tags never reach a feed
    assert "How many steps a minute?" in parsed.entries[0].description
    assert b"ann@example.org" not in feed.content


def test_the_error_pages_look_like_the_site(site: Site, page: Any) -> None:
    answer = page.goto(site.base + "no-such-page")
    assert answer.status == 404
    assert heading(page) == "Not found"
    shoot(page, "404")
    page.emulate_media(color_scheme="dark")
    page.goto(site.base)
    shoot(page, "home-dark")
    background = page.eval_on_selector("body", "e => getComputedStyle(e).backgroundColor")
    assert background == "rgb(18, 22, 28)"


def test_the_one_click_post_over_the_real_server(site: Site) -> None:
    from newsletter.subscribers import Links, load_tokens

    record = add_subscriber(site.store, "gmail@example.org", "active", utc_now())
    link = Links(
        site.base, load_tokens(site.settings.env.secret_key, site.settings.db_dir)
    ).unsubscribe(record.id, record.email_key)
    with httpx.Client(timeout=10, follow_redirects=False) as client:
        scanned = client.get(link)  # a link scanner: changes nothing
        assert scanned.status_code == 200
        assert site.store.subscriber("gmail@example.org").state == "active"  # type: ignore[union-attr]
        clicked = client.post(link, files={"List-Unsubscribe": (None, "One-Click")})
    assert clicked.status_code == 200 and "location" not in clicked.headers
    assert site.store.subscriber("gmail@example.org").state == "unsubscribed"  # type: ignore[union-attr]
