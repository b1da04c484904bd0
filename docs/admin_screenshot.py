"""Take docs/img/admin-{overview,questions,programmes}-{390,1280}[-dark].png: the console's
overview, question queue and programmes page on a made-up site, at phone and desktop
widths, light and dark.

    .venv/bin/python docs/admin_screenshot.py

A fresh SQLite site in a temporary folder, filled with twelve weeks of subscribers (some
at each step of the shipped programme), three feeds (one failing), a last run and a pending
question, at a fixed time; the real app
under waitress on a loopback port; Debian's Chromium (Playwright) signs in and takes the
pictures. Run it again after changing the console's look.
"""

from __future__ import annotations

import dataclasses
import sys
import tempfile
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from docs.site_screenshot import free_port  # noqa: E402
from newsletter.admin.accounts import add_account  # noqa: E402
from newsletter.config import FeedConfig  # noqa: E402
from newsletter.questions import QuestionInput, ask_question  # noqa: E402
from newsletter.store import SqlStore  # noqa: E402
from newsletter.store.engine import make_engine, upgrade  # noqa: E402
from newsletter.store.programmes import EnrolmentState  # noqa: E402
from newsletter.store.subscribers import NewSubscriber  # noqa: E402
from newsletter.web import create_app  # noqa: E402
from newsletter.web.server import make_server  # noqa: E402
from tests.support.browser import ARGS, CHROMIUM  # noqa: E402
from tests.support.programmes import into_programme  # noqa: E402
from tests.support.web import web_settings  # noqa: E402

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
OUT = ROOT / "docs" / "img"
SHOTS = (
    ("admin-overview", ""),
    ("admin-questions", "questions"),
    ("admin-programmes", "programmes?key=stronger-feet&step=3"),
)
# Readers of the programme by steps had, most first (a step queued for one reader is
# queued for every reader due it: those with fewer steps come after).
STEPS_HAD = (11, 11, 11, 10, 8, 8, 7, 6, 6, 6, 5, 5, 4, 4, 4, 3, 3, 3, 3, 2, 2, 2, 1, 1, 0, 0)
AWAY = {5: EnrolmentState.PAUSED, 9: EnrolmentState.LEFT, 14: EnrolmentState.LEFT}
WIDTHS = (390, 1280)
PASSWORD = "screenshot passphrase"
FEEDS = (
    FeedConfig(name="Running Training", kind="articles", key="a", url="https://a.example/f"),
    FeedConfig(name="Trail Notes", kind="articles", key="b", url="https://b.example/f"),
    FeedConfig(name="Foot Health Weekly", kind="articles", key="c", url="https://c.example/f"),
)


def fill(store: SqlStore) -> None:
    add_account(store, "owner@example.com", "owner", PASSWORD, NOW)
    for week in range(12):
        for n in range(3 + week * 2):
            when = NOW - timedelta(weeks=11 - week, hours=n)
            email = f"reader{week}-{n}@example.org"
            store.create_subscriber(NewSubscriber(email, email, None, "pending", "web"), when)
            record = store.subscriber(email)
            assert record is not None
            if n % 5 != 4:
                store.set_subscriber_state(record.id, "active", when + timedelta(hours=1))
            if n % 9 == 8:
                store.set_subscriber_state(record.id, "unsubscribed", when + timedelta(days=3))
    readers = [r.id for r in store.iter_subscribers() if r.state == "active"][: len(STEPS_HAD)]
    for n, (reader, steps) in enumerate(zip(readers, STEPS_HAD, strict=True)):
        last = NOW.date() - timedelta(days=1 + n % 5)
        into_programme(store, reader, steps, last, AWAY.get(n, EnrolmentState.ACTIVE))
    states = store.sync_feeds(FEEDS, NOW)
    store.save_feed_state(dataclasses.replace(states[0], last_success_at=NOW))
    store.save_feed_state(dataclasses.replace(states[1], last_success_at=NOW))
    store.save_feed_state(
        dataclasses.replace(
            states[2],
            consecutive_failures=4,
            last_error="HTTP 503 Service Unavailable",
            next_attempt_at=NOW + timedelta(hours=3),
        )
    )
    run = store.start_run("run", NOW - timedelta(minutes=5))
    report = {
        "collect": {"feeds": 3, "not_due": 0, "new": 14, "updated": 2, "failed": [{}]},
        "publish": {"written": 3, "unchanged": 1},
        "send": {"week": "2026-W47", "sent": 118, "retry": 3, "failed": 1},
    }
    store.finish_run(run, NOW - timedelta(minutes=4), report)
    question = QuestionInput("How soon can I run after a sprain?", "It still aches.", "Sam")
    ask_question(store, question, NOW)


def main() -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        url = f"sqlite:///{root / 'site.sqlite3'}"
        engine = make_engine(url)
        upgrade(engine)
        store = SqlStore(engine)
        fill(store)
        port = free_port()  # the site's base URL: a previewed email's picture is the app's
        settings = web_settings(root / "site", base_url=f"http://127.0.0.1:{port}/")
        settings = dataclasses.replace(settings, feeds=FEEDS)  # the overview shows these only
        server = make_server(create_app(settings, store, lambda: NOW), "127.0.0.1", port)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{server.port}/admin/"
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.goto(base)
                page.get_by_label("Email").fill("owner@example.com")
                page.get_by_label("Password").fill(PASSWORD)
                with page.expect_navigation():
                    page.get_by_role("button", name="Sign in").click()
                OUT.mkdir(parents=True, exist_ok=True)
                for scheme, suffix in (("light", ""), ("dark", "-dark")):
                    page.emulate_media(color_scheme=scheme)
                    for width in WIDTHS:
                        page.set_viewport_size({"width": width, "height": 900})
                        for name, path in SHOTS:
                            page.goto(base + path)
                            shot = f"{name}-{width}{suffix}.png"
                            # The whole page in the window: a full-page screenshot leaves an
                            # email's preview frame (a sandboxed, cross-origin frame) blank.
                            tall = page.evaluate("document.documentElement.scrollHeight")
                            page.set_viewport_size({"width": width, "height": tall})
                            page.screenshot(path=str(OUT / shot))
                            page.set_viewport_size({"width": width, "height": 900})
                            print(f"wrote docs/img/{shot}")
                browser.close()
        finally:
            server.close()
            thread.join(timeout=10)
            store.close()


if __name__ == "__main__":
    main()
