"""Take docs/img/{home,exercise,exercises,digest-email,programme-email,programme-section}-
{390,1280}-{light,dark}.png: the home page, an exercise's page, the exercise index, the
digest email, a programme step's email and the programme section of a reader's preferences
page (at step 3), at phone and desktop widths, light and dark.

    .venv/bin/python docs/site_screenshot.py

A fresh SQLite site in a temporary folder with a week of articles and an answered reader
question, its digest built by the digest capability at a fixed time; the real app under
waitress on a loopback port, which is also the site's base URL, so the email's picture is
the PNG the app serves. Debian's Chromium (Playwright) takes the pictures. The digest is
shown as `newsletter preview` writes it (the links on the base URL, the unsubscribe link
on the site), and step 3 of the shipped programme (its exercise, the routine so far) as
`newsletter programmes preview stronger-feet --step 3` writes it. Run it again after
changing the site's or the emails' look.
"""

from __future__ import annotations

import socket
import sys
import tempfile
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from newsletter.digest import build_digest, preview_digest  # noqa: E402
from newsletter.programmes.readers import offer_titles  # noqa: E402
from newsletter.programmes.render import preview_step  # noqa: E402
from newsletter.store import SqlStore  # noqa: E402
from newsletter.store.engine import make_engine, upgrade  # noqa: E402
from newsletter.subscribers import Links, load_tokens  # noqa: E402
from newsletter.web import create_app  # noqa: E402
from newsletter.web.server import make_server  # noqa: E402
from tests.support.browser import ARGS, CHROMIUM  # noqa: E402
from tests.support.digest import SEND_W48, add, article, question  # noqa: E402
from tests.support.programmes import into_programme  # noqa: E402
from tests.support.web import add_subscriber, web_settings  # noqa: E402

NOW = SEND_W48 + timedelta(hours=3)
OUT = ROOT / "docs" / "img"
WIDTHS = (390, 1280)
SCHEMES: tuple[Literal["light", "dark"], ...] = ("light", "dark")
PROGRAMME, STEP = "stronger-feet", 3  # the shipped programme; step 3 has a routine so far
ARTICLES = (
    ("tempo", "Tempo runs and intervals: what's the difference?", "Both make you faster."),
    ("heel-pain", "Pain in the heel when running", "Plantar fasciitis or the Achilles?"),
    ("rest-days", "Why rest days make you a better runner", "Adaptation happens at rest."),
)


def fill(store: SqlStore, settings_root: Path) -> str:
    """A week of articles and one answered question; the digest of 2026-W48. Its slug."""
    day = timedelta(days=1)
    entries = [
        article(slug, title, SEND_W48 - (n + 2) * day, f"<p>{summary}</p>")
        for n, (slug, title, summary) in enumerate(ARTICLES)
    ]
    asked = question(
        "shins", "Why do my shins hurt after a long run?", SEND_W48 - day, "Ann", "<p>?</p>"
    )
    add(store, SEND_W48 - day, *entries, asked)
    settings = web_settings(settings_root)
    built = build_digest(
        settings, store, SEND_W48, "2026-W48", offers=offer_titles(settings.root)
    )  # as `run` builds it: its footer offers the programme
    assert built.digest is not None and built.exercise is not None
    digest = store.archived_digest("2026-W48")
    assert digest is not None
    [shins] = [e for e in digest.entries if e.kind == "question"]
    answer = "<p>Most often the muscles along the shin, tired: run less far for a week.</p>"
    store.answer_question(shins.id, answer, NOW)
    return built.exercise.slug


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def main() -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        engine = make_engine(f"sqlite:///{root / 'site.sqlite3'}")
        upgrade(engine)
        store = SqlStore(engine)
        port = free_port()
        base = f"http://127.0.0.1:{port}/"
        slug = fill(store, root / "site")
        settings = web_settings(root / "site", base_url=base)
        emails = {
            "digest-email": preview_digest(settings, store, NOW, "2026-W48").html,
            "programme-email": preview_step(settings, PROGRAMME, STEP).html,
        }
        server = make_server(create_app(settings, store, lambda: NOW), "127.0.0.1", port)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        pages = {
            "home": base,
            "exercise": f"{base}archive/exercises/{slug}.html",
            "exercises": f"{base}archive/exercises/",
        }
        # A reader three steps into the programme, at their preferences page's section.
        reader = add_subscriber(store, "reader@example.com", "active", NOW - timedelta(weeks=4))
        into_programme(store, reader.id, STEP, NOW.date() - timedelta(days=2))
        links = Links(base, load_tokens(settings))
        preferences = links.preferences(reader.id, reader.email_key) + "#programme"
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
                OUT.mkdir(parents=True, exist_ok=True)
                for scheme in SCHEMES:
                    for width in WIDTHS:
                        page = browser.new_page(
                            viewport={"width": width, "height": 900},
                            color_scheme=scheme,
                            reduced_motion="reduce",  # the pictures hold still for the camera
                        )
                        for name, url in pages.items():
                            page.goto(url)
                            shoot(page, f"{name}-{width}-{scheme}.png")
                        page.goto(preferences)
                        shoot(page.locator("#programme"), f"programme-section-{width}-{scheme}.png")
                        # A blank page of its own: the site's pages' CSP (no inline style)
                        # would stay with a document written over one of them.
                        page.goto("about:blank")
                        # Chromium refuses a blank page's request to a loopback address
                        # (private network access): Playwright asks the app for it instead.
                        page.route(
                            f"{base}archive/exercises/*.png",
                            lambda route: route.fulfill(response=route.fetch()),
                        )
                        for name, email in emails.items():
                            page.set_content(email, wait_until="load")  # pictures from the app
                            loaded = page.eval_on_selector("img.picture", "e => e.naturalWidth")
                            assert loaded == 480, f"the app served the {name}'s picture"
                            shoot(page, f"{name}-{width}-{scheme}.png")
                        page.close()
                browser.close()
        finally:
            server.close()
            thread.join(timeout=10)
            store.close()


def shoot(page: Any, name: str) -> None:
    """A page whole, or one element of it (a locator)."""
    if hasattr(page, "goto"):
        page.screenshot(path=str(OUT / name), full_page=True)
    else:
        page.screenshot(path=str(OUT / name))
    print(f"wrote docs/img/{name}")


if __name__ == "__main__":
    main()
