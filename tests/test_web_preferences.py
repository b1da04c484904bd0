"""The preferences page of every email's link: what it shows, what it saves and when a link
changes nothing. Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask

from newsletter.config import Settings, load_settings
from newsletter.store import SqlStore
from newsletter.subscribers import Links, load_tokens
from newsletter.web import UNLIMITED
from tests.support.clock import Clock
from tests.support.web import (
    SECRET,
    SITE,
    Browser,
    add_subscriber,
    forged_preferences_paths,
    main_text,
    make_app,
    preferences_path,
)

FEEDS = """\
feeds:
  - name: Marathon training
    path: marathon.xml
    section: Marathons
  - name: Marathon race reports
    path: reports.xml
    section: Marathons
  - name: Beginner tips
    path: beginners.xml
  - name: Readers' questions
    path: questions.xml
    kind: questions
"""
SECTIONS = ["feed-marathons", "feed-beginner-tips", "questions", "exercise"]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    root = tmp_path / "site"
    root.mkdir()
    (root / "feeds.yaml").write_text(SITE.replace("feeds: []\n", FEEDS), encoding="utf-8")
    environ = {
        "NEWSLETTER_SECRET_KEY": SECRET,
        "NEWSLETTER_BASE_URL": "https://news.example.com/",
        "NEWSLETTER_OUTBOX": "outbox",
    }
    return load_settings(root / "feeds.yaml", environ)


@pytest.fixture
def app(settings: Settings, store: SqlStore, clock: Clock) -> Flask:
    return make_app(settings, store, clock, UNLIMITED)


def form(
    on: list[str], frequency: str = "weekly", fmt: str = "html", pause: str = ""
) -> dict[str, object]:
    return {"on": on, "frequency": frequency, "format": fmt, "pause": pause}


def test_the_page_shows_every_section_ticked_and_changes_nothing(
    app: Flask, settings: Settings, store: SqlStore, clock: Clock
) -> None:
    ann = add_subscriber(store, "ann@example.com", "active", clock.now)
    page = Browser(app).get(preferences_path(settings, ann.id, ann.email_key))

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"
    for key in SECTIONS:
        assert f'value="{key}" aria-describedby="on-hint" checked>' in html
    assert ">Marathons</label>" in html and html.count("Marathon") == 1  # two feeds, one section
    assert 'id="frequency-weekly" name="frequency" value="weekly" checked' in html
    assert 'id="format-html" name="format" value="html" checked' in html
    assert store.subscriber("ann@example.com").choice == ""  # type: ignore[union-attr]


def test_saving_applies_from_the_next_digest_and_says_so_in_the_history(
    app: Flask, settings: Settings, store: SqlStore, clock: Clock
) -> None:
    ann = add_subscriber(store, "ann@example.com", "active", clock.now)
    path = preferences_path(settings, ann.id, ann.email_key)
    browser = Browser(app)
    browser.get(path)

    saved = browser.post(path, form(["feed-marathons", "exercise"], "monthly", "text", "4"))

    assert saved.status_code == 200
    assert "Saved. Your next digest is sent this way." in main_text(saved)
    after = store.subscriber("ann@example.com")
    assert after is not None
    assert after.choice == "fmt=text;off=feed-beginner-tips,questions"
    assert after.frequency == "monthly"
    assert after.paused_until == clock.now + timedelta(weeks=4)
    said = [what for _at, what in store.subscriber_events(ann.id)]
    assert said == [
        "turned off Beginner tips, Reader questions and answers",
        "now monthly",
        "plain text only",
        f"paused until {(clock.now + timedelta(weeks=4)):%Y-%m-%d}",
    ]
    shown = saved.get_data(as_text=True)
    assert 'value="questions" aria-describedby="on-hint">' in shown  # unticked now
    assert "Keep the pause as it is" in shown and 'value="end"' in shown


def test_turning_everything_off_offers_to_unsubscribe_and_saves_nothing(
    app: Flask, settings: Settings, store: SqlStore, clock: Clock
) -> None:
    ann = add_subscriber(store, "ann@example.com", "active", clock.now)
    path = preferences_path(settings, ann.id, ann.email_key)
    browser = Browser(app)
    browser.get(path)

    answer = browser.post(path, form([]))

    assert answer.status_code == 200
    assert "the digest would arrive empty" in main_text(answer)
    unsubscribe = Links(
        settings.env.base_url, load_tokens(settings.env.secret_key, settings.db_dir)
    ).unsubscribe(ann.id, ann.email_key)
    assert f'action="{unsubscribe}"' in answer.get_data(as_text=True)
    after = store.subscriber("ann@example.com")
    assert after is not None and after.choice == "" and after.state == "active"
    assert store.subscriber_events(ann.id) == []


def test_forged_links_and_forms_change_nothing(
    app: Flask, settings: Settings, store: SqlStore, clock: Clock
) -> None:
    ann = add_subscriber(store, "ann@example.com", "active", clock.now)
    bob = add_subscriber(store, "bob@example.com", "active", clock.now)
    good = preferences_path(settings, ann.id, ann.email_key)
    browser = Browser(app)
    browser.get(good)
    for name, path in forged_preferences_paths(settings, ann, bob).items():
        assert browser.get(path).status_code == 404, name
        assert browser.post(path, form(["exercise"], "monthly")).status_code == 404, name
    # The right link, but a form the page never sends, or no form token.
    assert browser.post(good, form(["feed-nope"])).status_code == 400
    assert browser.post(good, form(["exercise"], "daily")).status_code == 400
    assert browser.post(good, form(["exercise"], pause="3")).status_code == 400
    stranger = app.test_client(use_cookies=False)
    assert stranger.post(good, data=form(["exercise"], "monthly")).status_code == 403
    for address in ("ann@example.com", "bob@example.com"):
        after = store.subscriber(address)
        assert after is not None and (after.choice, after.frequency) == ("", "weekly")


def test_a_link_from_an_old_email_of_someone_who_left_changes_nothing(
    app: Flask, settings: Settings, store: SqlStore, clock: Clock
) -> None:
    ann = add_subscriber(store, "ann@example.com", "unsubscribed", clock.now)
    path = preferences_path(settings, ann.id, ann.email_key)
    browser = Browser(app)
    shown = browser.get(path)
    assert "is not subscribed, so there is nothing to choose" in main_text(shown)
    browser.get("/")  # a form token from another page of the site
    answer = browser.post(path, form(["exercise"], "monthly"))
    assert answer.status_code == 200
    assert 'id="programme"' not in shown.get_data(as_text=True)  # no programme to join
    joining = {"programme": "stronger-feet", "action": "join", "seen": "none-0"}
    assert browser.post(path + "/programme", joining).status_code == 200
    assert store.enrolments(ann.id) == []
    after = store.subscriber("ann@example.com")
    assert after is not None and after.frequency == "weekly" and after.state == "unsubscribed"
