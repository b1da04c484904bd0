"""The owner's console end to end, as the owner uses it: headless Chromium (Playwright)
against the real app under waitress on a loopback port, a real SMTP server (aiosmtpd) on
loopback, and the account made with the real CLI in a subprocess.

The owner signs in, approves one question, answers another (the answer then shows in
feed.xml and in the next digest), pins next week's exercise, sends a test digest that
arrives at the SMTP server, previews a programme's step and sends it to themselves, and
signs out. On every console page axe-core finds no
violation and nothing scrolls sideways at 390 px.

axe-core comes from npm (`npm install` in the repository: package.json); the test skips,
saying so, without it or without /usr/bin/chromium.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from newsletter.questions import QuestionInput, ask_question
from newsletter.store import SqlStore
from newsletter.store.engine import make_engine, upgrade
from newsletter.web import create_app
from newsletter.web.server import make_server
from newsletter.web.services import utc_now
from tests.support.browser import ARTIFACTS, needs_chromium
from tests.support.send import Recorder
from tests.support.web import SECRET, serving, web_settings

AXE = Path(__file__).parents[1] / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
OWNER = "owner@example.com"
PASSWORD = "a long and private passphrase"

pytestmark = [
    pytest.mark.slow,
    needs_chromium,
    pytest.mark.skipif(not AXE.exists(), reason=f"no {AXE} (run `npm install`)"),
]


class LateApp:
    """The WSGI app, handed to the server before it exists (the server binds first)."""

    app: Any = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.app(environ, start_response)


@dataclass
class Console:
    base: str
    root: Path
    env: dict[str, str]
    store: SqlStore
    smtp: Recorder


@pytest.fixture
def console(tmp_path: Path, database_url: str, smtp: tuple[Recorder, str]) -> Iterator[Console]:
    recorder, smtp_url = smtp
    engine = make_engine(database_url)
    upgrade(engine)
    store = SqlStore(engine)
    late = LateApp()
    server = make_server(late, "127.0.0.1", 0, threads=4)  # type: ignore[arg-type]
    base = f"http://127.0.0.1:{server.port}/"
    env = {
        "NEWSLETTER_BASE_URL": base,
        "NEWSLETTER_SMTP_URL": smtp_url,
        "NEWSLETTER_DATABASE_URL": database_url,
        "NEWSLETTER_SECRET_KEY": SECRET,
    }
    root = tmp_path / "site"
    late.app = create_app(web_settings(root, base_url=base, **env), store)
    try:
        with serving(server):
            yield Console(base, root, env, store, recorder)
    finally:
        store.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    # bypass_csp: only so that the test can inject axe-core; the pages themselves run none.
    context = browser.new_context(viewport=PHONE, bypass_csp=True)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "response",
        lambda answer: (
            problems.append(f"{answer.status} {answer.url}")
            if answer.request.resource_type != "document" and answer.status >= 400
            else None
        ),
    )
    try:
        yield page
        assert problems == []
    finally:
        context.close()


def newsletter(console: Console, *args: str, stdin: str = "") -> str:
    environ = {"PATH": "/usr/bin:/bin", **console.env}
    done = subprocess.run(
        [sys.executable, "-m", "newsletter", *args],
        cwd=console.root, env=environ, input=stdin, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def follow(page: Any, name: str) -> None:
    """Click a link of the console's menu and wait for the page it leads to."""
    with page.expect_navigation():
        page.get_by_role("navigation", name="Console").get_by_role("link", name=name).click()


def check(page: Any, name: str) -> None:
    """No axe-core violation, nothing sideways at 390 px; a screenshot for people."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("async () => (await axe.run(document)).violations")
    summary = [(v["id"], [n["target"] for n in v["nodes"]]) for v in found]
    assert summary == [], f"{name}: {json.dumps(summary)}"
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"], name
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"admin-{name}.png"), full_page=True)


def test_the_owner_runs_the_week_from_the_console(console: Console, page: Any) -> None:
    said = newsletter(console, "admin", "add", OWNER, "--password-stdin", stdin=PASSWORD + "\n")
    assert said == f"{OWNER} can sign in at /admin/ as owner\n"
    now = utc_now()
    first = ask_question(console.store, QuestionInput("Shin splints?", "They hurt."), now)
    second = ask_question(
        console.store, QuestionInput("Cold feet after runs?", "Why?", "Bea", "bea@example.com"), now
    )

    page.goto(console.base + "admin/")
    assert page.locator("h1").inner_text() == "Sign in"
    check(page, "sign-in")
    page.get_by_label("Email").fill(OWNER)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    assert page.locator("h1").inner_text() == "Overview"
    check(page, "overview")

    follow(page, "Questions")
    assert "bea@example.com" in page.content(), "the owner sees the asker's address"
    check(page, "questions")
    page.get_by_label(f"Select “{first.title}”").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Approve selected").click()
    assert console.store.question(first.id).status == "approved"  # type: ignore[union-attr]

    page.goto(f"{console.base}admin/questions/{second.id}")
    check(page, "question")
    page.get_by_label("Answer").fill("Wear wool socks.\n\nAnd warm up indoors.")
    with page.expect_navigation():
        page.get_by_role("button", name="Save and approve").click()
    assert console.store.question(second.id).status == "approved"  # type: ignore[union-attr]

    feed = httpx.get(console.base + "feed.xml").text
    assert "Wear wool socks." in feed and "bea@example.com" not in feed
    follow(page, "Digest")
    check(page, "digest")
    # Issue 19: the preview is as tall as the window, not a 640-pixel slot.
    shown = page.locator("iframe.phone").bounding_box()
    assert shown is not None and shown["height"] >= 0.8 * PHONE["height"], shown
    email = page.frame_locator("iframe.phone").locator("body").inner_text()
    assert "Reader question of the week" in email.title() or "READER QUESTION" in email.upper()
    assert "Wear wool socks." in email

    weeks = page.locator("#pin-week option").all_inner_texts()
    next_week, exercise = weeks[1], page.locator("#pin-slug option").last
    slug = exercise.get_attribute("value")
    page.get_by_label("Week", exact=True).select_option(next_week)
    page.get_by_label("Exercise", exact=True).select_option(slug)
    # From the keyboard: headless Chromium can swallow the first click after a select.
    page.get_by_role("button", name="Pin this exercise to that week").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert f"{next_week} will feature" in page.locator("[role=status]").inner_text()
    pinned = console.store.featured_weeks()[next_week]
    assert pinned.pinned

    with page.expect_navigation():
        page.get_by_role("button", name="Send a test to me").click()
    console.smtp.wait_for(1)
    assert console.smtp.recipients() == [OWNER]
    assert str(console.smtp.messages[0].message["Subject"]).startswith("[Test] ")

    follow(page, "Programmes")
    check(page, "programmes")
    page.get_by_label("Step of Stronger feet in 11 weeks").select_option("2")
    page.get_by_role("button", name="Preview this step").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    step = page.frame_locator("iframe.phone").locator("body").inner_text()
    assert "week 2 of 11" in step.lower()
    with page.expect_navigation():
        page.get_by_role("button", name="Send step 2 to me").click()
    console.smtp.wait_for(2)
    assert console.smtp.recipients() == [OWNER, OWNER]
    assert "week 2" in str(console.smtp.messages[1].message["Subject"])

    for name in ("Subscribers", "Activity", "Account"):
        follow(page, name)
        check(page, name.lower())
    with page.expect_navigation():
        page.get_by_role("button", name="Set up two-factor sign-in").click()
    check(page, "two-factor")
    follow(page, "Subscribers")
    page.get_by_label("Add an address").fill("reader@example.org")
    with page.expect_navigation():
        page.get_by_role("button", name="Add", exact=True).click()
    console.smtp.wait_for(3)
    assert console.smtp.recipients() == [OWNER, OWNER, "reader@example.org"], "double opt-in"
    with page.expect_navigation():
        page.get_by_role("link", name="reader@example.org").click()
    check(page, "subscriber")
    assert "pinned exercise" in page.goto(console.base + "admin/activity").text()

    page.goto(console.base + "admin/")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()
    assert page.locator("h1").inner_text() == "Sign in"
    page.goto(console.base + "admin/subscribers")
    assert page.locator("h1").inner_text() == "Sign in"
