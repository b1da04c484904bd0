"""Every page the app serves, checked by the real tools: the Nu HTML Checker (vnu.jar, run
once over all the pages saved from the test client, and the stylesheet) reports no error
and no warning, and axe-core, injected with Playwright into Debian's Chromium, finds no
violation in light or dark mode.

The checkers come from npm (``make web-tools``: tools/web/); vnu.jar runs on Java 17.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from newsletter.config import Settings
from newsletter.store import SqlStore
from newsletter.web import UNLIMITED
from newsletter.web.server import make_server
from tests.support.browser import ARTIFACTS, needs_chromium
from tests.support.clock import Clock
from tests.support.digest import SEND_W48, site_settings
from tests.support.web import make_app, serving
from tests.support.web_pages import (
    AXE_JS,
    MISSING_TOOLS,
    VNU_JAR,
    build_site,
    get_paths,
    save_pages,
)

JAVA = shutil.which("java")
pytestmark = pytest.mark.slow


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return site_settings(tmp_path / "site")


@pytest.fixture
def app(settings: Settings, store: SqlStore, clock: Clock) -> Flask:
    build_site(settings, store)
    clock.now = SEND_W48 + timedelta(hours=2)
    return make_app(settings, store, clock, UNLIMITED)


@pytest.mark.skipif(not VNU_JAR.exists(), reason=MISSING_TOOLS)
@pytest.mark.skipif(JAVA is None, reason="no java (the Nu HTML Checker needs Java 11+)")
def test_the_nu_html_checker_finds_no_error_on_any_page(
    app: Flask, store: SqlStore, settings: Settings, clock: Clock, tmp_path: Path
) -> None:
    out = tmp_path / "pages"
    count = save_pages(app, store, settings, clock, out)
    css = app.test_client().get("/static/site.css")
    (out / "site.css").write_bytes(css.data)
    assert JAVA is not None
    checked = subprocess.run(
        [JAVA, "-jar", str(VNU_JAR), "--format", "json", "--also-check-css", "--verbose", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    report = json.loads(checked.stderr)  # --verbose lists the files checked on stdout
    assert len(checked.stdout.split()) == count + 1, checked.stdout
    problems = [
        f"{Path(m.get('url', '')).name}:{m.get('lastLine')}: {m['message']}"
        for m in report["messages"]
        if m["type"] == "error" or m.get("subType") in ("fatal", "warning")
    ]
    assert problems == [], "\n".join(problems)
    assert count >= 20  # every template, in each of its states
    assert checked.returncode == 0


@pytest.fixture
def served(app: Flask) -> Iterator[str]:
    """The app on a real loopback server (waitress), as a browser needs it."""
    with serving(make_server(app, "127.0.0.1", 0, threads=4)) as server:
        yield f"http://127.0.0.1:{server.port}"


@needs_chromium
@pytest.mark.skipif(not AXE_JS.exists(), reason=MISSING_TOOLS)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_violation_on_any_page(
    served: str, browser: Any, store: SqlStore, settings: Settings, clock: Clock, scheme: str
) -> None:
    axe = AXE_JS.read_text(encoding="utf-8")
    # The pages' CSP forbids every script, axe's too: the browser is told to let it run.
    context = browser.new_context(bypass_csp=True, color_scheme=scheme)
    page = context.new_page()
    found: dict[str, list[str]] = {}
    try:
        for name, path in get_paths(store, settings, clock).items():
            page.goto(served + path)
            found.update(_violations(page, axe, name))
        page.goto(served + "/ask")
        page.click("button[type=submit]")  # empty: the error summary and invalid fields
        found.update(_violations(page, axe, "ask-errors"))
        page.goto(served + "/")
        page.fill("#f-email", "new@example.com")
        page.click("button[type=submit]")
        found.update(_violations(page, axe, "check-email"))
    finally:
        context.close()
    assert found == {}


def _violations(page: Any, axe: str, name: str) -> dict[str, list[str]]:
    page.evaluate(axe)
    result = page.evaluate(
        "axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', "
        "'best-practice']})"
    )
    assert result["passes"], f"axe checked nothing on {name}"
    problems = [
        f"{v['id']}: {v['help']} ({', '.join(str(n['target']) for n in v['nodes'][:3])})"
        for v in result["violations"]
    ]
    return {name: problems} if problems else {}


@needs_chromium
def test_the_preferences_page_works_without_javascript_on_a_phone(
    served: str, browser: Any, store: SqlStore, settings: Settings, clock: Clock
) -> None:
    """At 390 px nothing scrolls sideways, and with scripts off a reader still saves."""
    path = get_paths(store, settings, clock)["preferences-active"]
    context = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(served + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.uncheck("input[value=questions]")
        page.check("#frequency-monthly")
        page.check("#format-text")
        page.click("button[type=submit]")
        assert "Saved. Your next digest is sent this way." in page.inner_text("main")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "preferences-390.png"), full_page=True)
    finally:
        context.close()
    after = store.subscriber("active@example.com")
    assert after is not None and after.frequency == "monthly"
    assert after.choice == "fmt=text;off=questions"


@needs_chromium
def test_the_programme_section_works_without_javascript_on_a_phone(
    served: str, browser: Any, store: SqlStore, settings: Settings, clock: Clock
) -> None:
    """From a digest's link (#programme) a reader joins, then pauses, with scripts off; at
    390 px nothing scrolls sideways."""
    path = get_paths(store, settings, clock)["preferences-active"]
    context = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(served + path + "#programme")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.click("#programme button[value=join]")
        assert "Done: you're in." in page.inner_text("#programme")
        assert page.url.endswith("/programme#programme")
        page.click("#programme button[value=pause]")
        assert "Paused before the first email." in page.inner_text("#programme")
        page.click("#programme button[value=resume]")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        ARTIFACTS.mkdir(exist_ok=True)
        page.locator("#programme").screenshot(path=str(ARTIFACTS / "preferences-programme-390.png"))
    finally:
        context.close()
    reader = store.subscriber("active@example.com")
    assert reader is not None
    [enrolment] = store.enrolments(reader.id)
    assert enrolment.state == "active"
    said = [what for _at, what in store.subscriber_events(reader.id)]
    assert said[-3:] == [
        "joined the programme stronger-feet",
        "paused the programme stronger-feet",
        "resumed the programme stronger-feet",
    ]
