"""Every page the web app serves, in every state a visitor can reach, for the checkers
(the Nu HTML Checker, axe-core). No tests here.

The site has real digests (built by the digest capability), a loaded exercise catalog, a
pending, an active and an unsubscribed subscriber, so that each template and each branch
of it is rendered at least once. ``tools/web`` holds the checkers (``make web-tools``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from flask import Flask

from newsletter.config import Settings
from newsletter.digest import build_digest
from newsletter.questions import QuestionInput, ask_question
from newsletter.store import SqlStore
from newsletter.store.programmes import EnrolmentState
from newsletter.store.subscribers import SubscriberRecord
from newsletter.subscribers import Links, load_tokens
from tests.support.clock import Clock
from tests.support.digest import SEND_W47, SEND_W48, add, article, question
from tests.support.programmes import KEY, into_programme
from tests.support.web import Browser, add_subscriber

TOOLS = Path(__file__).resolve().parents[2] / "tools" / "web" / "node_modules"
VNU_JAR = TOOLS / "vnu-jar" / "build" / "dist" / "vnu.jar"
# axe-core: ours, else the one of the repository's package.json (the console's tests).
AXE_JS = next(
    (
        path
        for path in (
            TOOLS / "axe-core" / "axe.min.js",
            TOOLS.parents[2] / "node_modules" / "axe-core" / "axe.min.js",
        )
        if path.exists()
    ),
    TOOLS / "axe-core" / "axe.min.js",
)
MISSING_TOOLS = "the web checkers are not installed: make web-tools (npm ci in tools/web)"


def build_site(settings: Settings, store: SqlStore) -> dict[str, str]:
    """Two digests with articles and questions; the slug of each week's exercise."""
    add(store, SEND_W47 - timedelta(days=1), article("base", "Base miles", SEND_W47 - timedelta(2)))
    w47 = build_digest(settings, store, SEND_W47, "2026-W47")
    add(
        store,
        SEND_W48 - timedelta(days=1),
        article("tempo", "Tempo runs & <intervals>", SEND_W48 - timedelta(days=2)),
        article("nolink", "An article without a link", SEND_W48 - timedelta(days=3), link=None),
        question("shins", "Why do my shins hurt?", SEND_W48 - timedelta(days=2), "Ann", "<p>?</p>"),
    )
    # The editor's note, with each kind of Markdown it renders, heads W48's page.
    note = "## Hello\n\nA *short* note with [a link](https://www.example.com/).\n\n- one\n- two"
    store.set_editor_note(note, "owner@example.com", SEND_W48 - timedelta(days=1))
    w48 = build_digest(settings, store, SEND_W48, "2026-W48")
    assert w47.exercise is not None and w48.exercise is not None
    return {"2026-W47": w47.exercise.slug, "2026-W48": w48.exercise.slug}


def get_paths(store: SqlStore, settings: Settings, clock: Clock) -> dict[str, str]:
    """Name: path of every page a GET reaches, confirm and unsubscribe links included."""
    links = Links(settings.env.base_url, load_tokens(settings.env.secret_key, settings.db_dir))
    pending = add_subscriber(store, "pending@example.com", "pending", clock())
    active = add_subscriber(store, "active@example.com", "active", clock())
    gone = add_subscriber(store, "gone@example.com", "unsubscribed", clock())
    programme = programme_readers(store, clock)
    slugs = [e.slug for e in store.exercise_catalog() if e.active]
    given = QuestionInput("Do I need new shoes?", "Mine are a year old.", "Bo")
    answered = ask_question(store, given, clock(), approved=True)
    store.answer_question(answered.id, "<p>After about 800 km.</p>", clock())

    def path(url: str) -> str:
        return "/" + url.removeprefix(settings.env.base_url)

    return {
        "home": "/",
        "ask": "/ask",
        "ask-thanks": "/ask/thanks",
        "archive": "/archive/",
        "digest-w48": "/archive/2026-W48.html",
        "digest-w47": "/archive/2026-W47.html",
        "exercises": "/archive/exercises/",
        "exercise-first": f"/archive/exercises/{slugs[0]}.html",
        "exercise-last": f"/archive/exercises/{slugs[-1]}.html",
        "confirm-pending": path(links.confirm(pending.id, pending.email_key)),
        "confirm-active": path(links.confirm(active.id, active.email_key)),
        "confirm-gone": path(links.confirm(gone.id, gone.email_key)),
        "unsubscribe-active": path(links.unsubscribe(active.id, active.email_key)),
        "unsubscribe-gone": path(links.unsubscribe(gone.id, gone.email_key)),
        "preferences-active": path(links.preferences(active.id, active.email_key)),
        "preferences-gone": path(links.preferences(gone.id, gone.email_key)),
        **{
            f"preferences-programme-{where}": path(links.preferences(r.id, r.email_key))
            for where, r in programme.items()
        },
        "question": f"/questions/{answered.id}",
        "not-found": "/nothing-here",
        "bad-link": "/confirm/forged",
    }


def programme_readers(store: SqlStore, clock: Clock) -> dict[str, SubscriberRecord]:
    """A reader at each place of the programme a page shows (the one who never joined is
    ``active@example.com``): part way, paused, left and finished."""
    last = clock().date() - timedelta(days=1)
    places = (
        ("finished", 11, EnrolmentState.ACTIVE),  # first: its steps pass the others by
        ("active", 3, EnrolmentState.ACTIVE),
        ("paused", 2, EnrolmentState.PAUSED),
        ("left", 5, EnrolmentState.LEFT),
    )
    readers: dict[str, SubscriberRecord] = {}
    for where, steps, state in places:
        reader = add_subscriber(store, f"programme-{where}@example.com", "active", clock())
        into_programme(store, reader.id, steps, last - timedelta(days=len(readers)), state)
        readers[where] = reader
    return readers


def post_pages(app: Flask, store: SqlStore, settings: Settings, clock: Clock) -> dict[str, str]:
    """Name: HTML of the pages only a POST reaches (answers, form errors, error pages)."""
    links = Links(settings.env.base_url, load_tokens(settings.env.secret_key, settings.db_dir))
    visitor = Browser(app)
    pages: dict[str, Callable[[], str]] = {}
    visitor.get("/")
    pages["home-error"] = lambda: _post(visitor, "/", {"email": "not an address"}, 400)
    pages["check-email"] = lambda: _post(visitor, "/", {"email": "new@example.com"}, 200)
    pages["ask-errors"] = lambda: _post(visitor, "/ask", {"title": "", "body": ""}, 400)
    pending = add_subscriber(store, "confirm-me@example.com", "pending", clock())
    confirm = "/" + links.confirm(pending.id, pending.email_key).removeprefix(settings.env.base_url)
    pages["confirmed"] = lambda: _post(visitor, confirm, {}, 200)
    unsubscribe = "/" + links.unsubscribe(pending.id, pending.email_key).removeprefix(
        settings.env.base_url
    )
    reader = add_subscriber(store, "chooser@example.com", "active", clock())
    preferences = "/" + links.preferences(reader.id, reader.email_key).removeprefix(
        settings.env.base_url
    )
    chosen = {"on": "exercise", "frequency": "monthly", "format": "text", "pause": "2"}
    pages["preferences-saved"] = lambda: _post(visitor, preferences, chosen, 200)
    nothing = {"frequency": "weekly", "format": "html", "pause": ""}
    pages["preferences-all-off"] = lambda: _post(visitor, preferences, nothing, 200)
    joining = {"programme": KEY, "action": "join", "seen": "none-0"}
    pages["preferences-programme-joined"] = lambda: _post(
        visitor, preferences + "/programme", joining, 200, preferences
    )
    pages["preferences-programme-again"] = lambda: _post(
        visitor, preferences + "/programme", joining, 200, preferences
    )
    pages["unsubscribed"] = lambda: _post(visitor, unsubscribe, {}, 200)
    pages["csrf"] = lambda: _post(Browser(app), "/ask", {"title": "x"}, 403)
    pages["not-allowed"] = lambda: _post(visitor, "/feed.xml", {}, 405)
    return {name: make() for name, make in pages.items()}


def _post(
    visitor: Browser, path: str, data: dict[str, str], status: int, shown: str | None = None
) -> str:
    if path != "/" and not path.startswith("/ask"):
        visitor.get(shown or path)  # the page with the button: its form token
    answer = visitor.post(path, data)
    assert answer.status_code == status, (path, answer.status_code)
    return answer.get_data(as_text=True)


def save_pages(app: Flask, store: SqlStore, settings: Settings, clock: Clock, out: Path) -> int:
    """Every page, as the app serves it, into ``out`` (``name.html``); how many."""
    out.mkdir(parents=True, exist_ok=True)
    visitor = Browser(app)
    pages = {}
    for name, path in get_paths(store, settings, clock).items():
        answer = visitor.get(path)
        assert answer.status_code in (200, 404), (path, answer.status_code)
        pages[name] = answer.get_data(as_text=True)
    pages.update(post_pages(app, store, settings, clock))
    for name, html in pages.items():
        assert re.match(r"<!doctype html>", html, re.I), name
        (out / f"{name}.html").write_text(html, encoding="utf-8")
    return len(pages)
