"""The console's Programmes page (owners only) over a real database: where the readers of
the shipped "Stronger feet in 11 weeks" are, any step previewed as readers get it, a step
sent to the signed-in owner through the outbox and recorded nowhere; and a subscriber's
page listing their programmes and the history of their changes."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from newsletter.config import Settings
from newsletter.store import SqlStore
from newsletter.store.models import Delivery
from tests.support.clock import Clock
from tests.support.console import console_app, signed_in
from tests.support.programmes import KEY, TITLE, readers_everywhere
from tests.support.web import add_subscriber, main_text, outbox, web_settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return web_settings(tmp_path / "site")


@pytest.fixture
def app(settings: Settings, store: SqlStore, clock: Clock) -> Flask:
    return console_app(settings, store, clock)


def test_the_page_counts_the_readers_at_each_place(
    app: Flask, store: SqlStore, clock: Clock
) -> None:
    readers_everywhere(store, clock.now)
    owner = signed_in(app)
    answer = owner.get("/admin/programmes")

    assert answer.status_code == 200
    html, text = answer.get_data(as_text=True), main_text(answer)
    assert '<a href="/admin/programmes" aria-current="page">Programmes</a>' in html
    assert f"{TITLE} ({KEY}, 11 steps)" in text
    assert "9 readers have joined" in text  # the wish not confirmed counts nowhere
    for line in (
        "Joined, step 1 to come 1",
        "Had step 1, step 2 to come 0",
        "Had step 3, step 4 to come 3",
        "Had step 10, step 11 to come 0",
        "Finished (had all 11) 2",
        "Paused 1",
        "Left (or no longer subscribed) 2",
    ):
        assert line in text, line
    # The first step shows by default, with its button to send it to the owner.
    assert "Step 1 of Stronger feet in 11 weeks, as readers get it" in text
    assert 'src="/admin/programmes/email?key=stronger-feet&amp;step=1"' in html
    assert "Send step 1 to me (owner@example.com)" in text
    # The step picker names each step's exercise as readers know it, not by its slug.
    options = re.findall(r"<option [^>]*>([^<]*)</option>", html)
    assert options[:2] == ["Step 1: Toe tapping", "Step 2: Ankle alphabet"], options
    assert len(options) == 11


def test_any_step_previews_as_readers_get_it(app: Flask) -> None:
    owner = signed_in(app)
    page = owner.get("/admin/programmes?key=stronger-feet&step=11")
    assert "Step 11 of Stronger feet in 11 weeks, as readers get it" in main_text(page)
    email = owner.get("/admin/programmes/email?key=stronger-feet&step=11")
    assert email.status_code == 200
    assert email.headers["Content-Security-Policy"].endswith("sandbox")
    assert email.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "week 11 of 11" in email.get_data(as_text=True).lower()
    text = owner.get("/admin/programmes/email?key=stronger-feet&step=3&format=text")
    assert text.headers["Content-Type"].startswith("text/plain")
    assert "week 3 of 11" in text.get_data(as_text=True).lower()
    for query in ("key=stronger-feet&step=12", "key=stronger-feet&step=0", "key=nope&step=1"):
        assert owner.get(f"/admin/programmes/email?{query}").status_code == 404, query
    # A step out of range in the page's query shows the first step instead.
    assert "Step 1 of" in main_text(owner.get("/admin/programmes?key=stronger-feet&step=99"))


def test_send_a_step_to_me_goes_through_the_outbox_and_records_nothing(
    app: Flask, settings: Settings, store: SqlStore
) -> None:
    owner = signed_in(app)
    owner.get("/admin/programmes?key=stronger-feet&step=4")

    sent = owner.post("/admin/programmes/test", {"key": KEY, "step": "4"})

    assert sent.status_code == 303
    assert sent.headers["Location"].startswith("/admin/programmes?")
    [mail] = outbox(settings)
    assert mail.to == "owner@example.com"
    assert str(mail.message["Subject"]).startswith("[Test] Stronger feet in 11 weeks, week 4:")
    assert "week 4 of 11" in mail.text().lower()
    with store.engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Delivery)) == 0
    assert "step 4 of stronger-feet was sent to owner@example.com" in main_text(
        owner.get(sent.headers["Location"])
    )
    activity = main_text(owner.get("/admin/activity"))
    assert "sent a test programme step" in activity
    for wrong in ({"key": KEY, "step": "12"}, {"key": "nope", "step": "1"}, {"key": KEY}):
        refused = owner.post("/admin/programmes/test", wrong)
        assert refused.status_code == 303, wrong
    assert len(outbox(settings)) == 1
    forged = owner.client.post("/admin/programmes/test", data={"key": KEY, "step": "1"})
    assert forged.status_code == 403 and len(outbox(settings)) == 1


def test_a_moderator_may_not_see_or_send_programmes(app: Flask, settings: Settings) -> None:
    moderator = signed_in(app, "mod@example.com")
    questions = moderator.get("/admin/questions").get_data(as_text=True)
    assert 'href="/admin/programmes"' not in questions
    assert moderator.get("/admin/programmes").status_code == 403
    assert moderator.get("/admin/programmes/email?key=stronger-feet&step=1").status_code == 403
    moderator.get("/admin/questions")
    assert moderator.post("/admin/programmes/test", {"key": KEY, "step": "1"}).status_code == 403
    assert outbox(settings) == []


def test_a_mistake_in_programmes_yaml_is_named(app: Flask, settings: Settings) -> None:
    (settings.root / "programmes.yaml").write_text("programmes:\n  - key: x\n", encoding="utf-8")
    page = main_text(signed_in(app).get("/admin/programmes"))
    assert "programmes.yaml has a mistake, so readers are offered no programme" in page
    assert "programmes.yaml:2: a programme is missing" in page


def test_a_subscribers_page_lists_their_programmes_and_changes(
    app: Flask, store: SqlStore, clock: Clock
) -> None:
    ids = readers_everywhere(store, clock.now)
    owner = signed_in(app)
    three = main_text(owner.get(f"/admin/subscribers/{ids['three1']}"))
    due = (clock.now.date() - timedelta(days=2) + timedelta(weeks=1)).isoformat()
    assert f"{TITLE} in it, had 3 of 11" in three and due in three
    assert f"joined the programme {KEY}" in three
    left = main_text(owner.get(f"/admin/subscribers/{ids['left']}"))
    assert f"{TITLE} left, had 5 of 11" in left and f"left the programme {KEY}" in left
    wisher = main_text(owner.get(f"/admin/subscribers/{ids['wisher']}"))
    assert "asked for on signing up; starts when they confirm" in wisher
    assert f"asked for the programme {KEY} on sign-up" in wisher
    nobody = add_subscriber(store, "nobody@example.com", "active", clock.now)
    assert "In no programme." in main_text(owner.get(f"/admin/subscribers/{nobody.id}"))
