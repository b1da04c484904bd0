"""Readers and programmes on the web: the "Also start …" box of the sign-up form (kept until
they confirm), the confirmation page's button, and the preferences page's #programme
section (join, pause, resume, leave, start again). GET never changes anything; forged
links, forms sent twice or out of date, and the old link of someone who left change
nothing. The site is the shipped "Stronger feet in 11 weeks". Every test runs on SQLite
and on PostgreSQL."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from newsletter.config import Settings
from newsletter.digest import build_digest
from newsletter.digest.variants import variant_source
from newsletter.mail import SendOptions, send_digest
from newsletter.programmes.file import default_programmes_path
from newsletter.programmes.readers import offer_titles
from newsletter.store import SqlStore
from newsletter.store.programmes import (
    EnrolmentRecord,
    EnrolmentState,
    ProgrammeCounts,
)
from newsletter.web import UNLIMITED
from tests.support.clock import Clock
from tests.support.programmes import KEY, TITLE, into_programme, nothing_sent
from tests.support.web import (
    Browser,
    add_subscriber,
    forged_preferences_paths,
    main_text,
    make_app,
    outbox,
    preferences_path,
    subscriber,
)

SEEN = re.compile(r'name="seen" value="([^"]+)"')


@pytest.fixture
def app(settings: Settings, store: SqlStore, clock: Clock) -> Flask:
    return make_app(settings, store, clock, UNLIMITED)


class Reader:
    """One reader at their preferences page, pressing the #programme buttons."""

    def __init__(self, app: Flask, path: str) -> None:
        self.browser = Browser(app)
        self.path = path
        self.page = self.browser.get(path)

    @property
    def seen(self) -> str:
        found = SEEN.search(self.page.get_data(as_text=True))
        assert found, main_text(self.page)
        return found.group(1)

    def press(self, action: str, seen: str | None = None) -> TestResponse:
        form = {"programme": KEY, "action": action, "seen": self.seen if seen is None else seen}
        self.page = self.browser.post(self.path + "/programme", form)
        assert self.page.status_code == 200, self.page.status_code
        return self.page

    def buttons(self) -> list[str]:
        return re.findall(r'name="action" value="(\w+)"', self.page.get_data(as_text=True))


def enrolment(store: SqlStore, subscriber_id: int) -> EnrolmentRecord | None:
    return next(iter(store.enrolments(subscriber_id)), None)


def events(store: SqlStore, subscriber_id: int) -> list[str]:
    return [what for _at, what in store.subscriber_events(subscriber_id)]


def test_the_section_offers_the_programme_and_a_get_changes_nothing(
    app: Flask, settings: Settings, store: SqlStore, clock: Clock
) -> None:
    ann = add_subscriber(store, "ann@example.com", "active", clock.now)
    reader = Reader(app, preferences_path(settings, ann.id, ann.email_key))

    html = reader.page.get_data(as_text=True)
    assert reader.page.status_code == 200
    assert '<section id="programme"' in html and TITLE in html
    assert "It starts the day you join, and you can pause or leave it any time." in html
    assert reader.buttons() == ["join"]
    assert f'action="{reader.path}/programme#programme"' in html
    reader.browser.get(reader.path)
    assert store.enrolments(ann.id) == [] and events(store, ann.id) == []


def test_join_pause_resume_leave_carry_on_and_start_again(
    app: Flask, settings: Settings, store: SqlStore, clock: Clock
) -> None:
    ann = add_subscriber(store, "ann@example.com", "active", clock.now)
    reader = Reader(app, preferences_path(settings, ann.id, ann.email_key))

    joined = main_text(reader.press("join"))
    # Wednesday 25 November 2026, 09:00 in London: the first step goes today.
    assert "Done: you're in." in joined
    assert "You've joined. Your first email comes on Wednesday 25 November." in joined
    assert reader.buttons() == ["pause", "leave"]
    first = enrolment(store, ann.id)
    assert first is not None and first.state == EnrolmentState.ACTIVE
    assert (first.steps_sent, first.due_on) == (0, "2026-11-25")

    assert "Paused before the first email." in main_text(reader.press("pause"))
    assert reader.buttons() == ["resume", "restart", "leave"]
    assert "Done: resumed." in main_text(reader.press("resume"))
    left = main_text(reader.press("leave"))
    assert "You left before the first email. You're welcome back any time." in left
    assert reader.buttons() == ["join"]
    assert "Done: you're in." in main_text(reader.press("join"))

    after = enrolment(store, ann.id)
    assert after is not None and after.state == EnrolmentState.ACTIVE
    assert events(store, ann.id) == [
        f"joined the programme {KEY}",
        f"paused the programme {KEY}",
        f"resumed the programme {KEY}",
        f"left the programme {KEY}",
        f"joined the programme {KEY}",
    ]


def test_a_reader_part_way_through_sees_their_step_and_can_start_again(
    app: Flask, settings: Settings, store: SqlStore, clock: Clock
) -> None:
    ann = add_subscriber(store, "ann@example.com", "active", clock.now)
    into_programme(store, ann.id, 3, date(2026, 11, 24))
    path = preferences_path(settings, ann.id, ann.email_key)
    reader = Reader(app, path)
    assert "You're at step 3 of 11. Step 4 comes on Tuesday 1 December." in main_text(reader.page)

    reader.press("leave")
    assert "You left after step 3 of 11." in main_text(reader.page)
    assert reader.buttons() == ["join", "restart"]
    assert "Carry on from step 4" in main_text(reader.page)
    reader.press("restart")
    again = enrolment(store, ann.id)
    assert again is not None and (again.state, again.steps_sent) == (EnrolmentState.ACTIVE, 0)
    assert again.due_on == "2026-11-25"
    assert "Done: you're starting again from step 1." in main_text(reader.page)
    assert events(store, ann.id)[-1] == f"restarted the programme {KEY}"


def test_a_finished_reader_may_only_start_again(
    app: Flask, settings: Settings, store: SqlStore, clock: Clock
) -> None:
    ann = add_subscriber(store, "ann@example.com", "active", clock.now)
    into_programme(store, ann.id, 11, date(2026, 11, 24))
    reader = Reader(app, preferences_path(settings, ann.id, ann.email_key))
    assert "You've had all 11 steps. Well done!" in main_text(reader.page)
    assert reader.buttons() == ["restart"]
    for action in ("pause", "leave", "join", "resume"):  # not on the page: nothing happens
        assert "That was done already" in main_text(reader.press(action))
    found = enrolment(store, ann.id)
    assert found is not None and found.state == EnrolmentState.FINISHED


def test_a_form_sent_twice_or_out_of_date_changes_nothing(
    app: Flask, settings: Settings, store: SqlStore, clock: Clock
) -> None:
    ann = add_subscriber(store, "ann@example.com", "active", clock.now)
    path = preferences_path(settings, ann.id, ann.email_key)
    reader = Reader(app, path)
    shown = reader.seen

    reader.press("join", seen=shown)
    again = main_text(reader.press("join", seen=shown))  # the same form, sent again

    assert "That was done already; here is where you are now." in again
    assert "You've joined." in again
    assert events(store, ann.id) == [f"joined the programme {KEY}"]
    # Another tab paused it; this one still shows it active and asks to leave.
    other = Reader(app, path)
    stale = other.seen
    reader.press("pause")
    other.press("leave", seen=stale)
    found = enrolment(store, ann.id)
    assert found is not None and found.state == EnrolmentState.PAUSED
    assert "That was done already" in main_text(other.page)


def test_forged_links_and_forms_change_nothing(
    app: Flask, settings: Settings, store: SqlStore, clock: Clock
) -> None:
    ann = add_subscriber(store, "ann@example.com", "active", clock.now)
    bob = add_subscriber(store, "bob@example.com", "active", clock.now)
    good = preferences_path(settings, ann.id, ann.email_key)
    reader = Reader(app, good)
    join = {"programme": KEY, "action": "join", "seen": reader.seen}
    for name, path in forged_preferences_paths(settings, ann, bob).items():
        assert reader.browser.post(path + "/programme", join).status_code == 404, name
    for field, value in (("programme", "nope"), ("action", "delete"), ("action", "")):
        forged = reader.browser.post(good + "/programme", {**join, field: value})
        assert forged.status_code == 400, (field, value)
    assert reader.browser.client.get(good + "/programme").status_code == 405
    stranger = app.test_client(use_cookies=False)
    assert stranger.post(good + "/programme", data=join).status_code == 403
    assert store.enrolments(ann.id) == [] and store.enrolments(bob.id) == []


def test_a_reader_on_a_break_is_told_the_programme_waits_too(
    app: Flask, settings: Settings, store: SqlStore, clock: Clock
) -> None:
    ann = add_subscriber(store, "ann@example.com", "active", clock.now)
    store.enrol(ann.id, KEY, "2026-11-25", clock.now, restart=False)
    browser = Browser(app)
    path = preferences_path(settings, ann.id, ann.email_key)
    browser.get(path)
    browser.post(path, {"on": ["exercise"], "frequency": "weekly", "format": "html", "pause": "2"})
    assert "While your break from email lasts, these wait too." in main_text(browser.get(path))


def test_the_sign_up_box_starts_the_programme_the_day_they_confirm(
    app: Flask, settings: Settings, store: SqlStore, clock: Clock
) -> None:
    browser = Browser(app)
    form = browser.get("/").get_data(as_text=True)
    assert f"Also start {TITLE}" in form and 'name="programme" value="stronger-feet"' in form

    browser.subscribe("ann@example.com", programme=KEY)

    ann = subscriber(store, "ann@example.com")
    wished = enrolment(store, ann.id)
    assert wished is not None and wished.state == EnrolmentState.WAITING
    # Never mailed unconfirmed.
    assert store.readers_due(KEY, 1, "2026-12-31", clock.now, nothing_sent("2026-12-31")) == 0
    assert store.programme_counts(KEY) == ProgrammeCounts(KEY)  # counts nowhere
    [mail] = outbox(settings)
    clock.advance(days=2)  # they confirm on Friday 27 November
    confirm = mail.confirm_path()
    browser.get(confirm)
    confirmed = browser.post(confirm)

    assert "You've joined. Your first email comes on Friday 27 November." in main_text(confirmed)
    started = enrolment(store, ann.id)
    assert started is not None and started.state == EnrolmentState.ACTIVE
    assert (started.steps_sent, started.due_on, started.joined_at) == (0, "2026-11-27", clock.now)
    assert events(store, ann.id) == [
        f"asked for the programme {KEY} on sign-up",
        f"joined the programme {KEY}",
    ]
    assert store.programme_counts(KEY) == ProgrammeCounts(KEY, {0: 1})
    browser.post(confirm)  # the confirmation sent again starts nothing twice
    assert events(store, ann.id)[-1] == f"joined the programme {KEY}"
    assert len(events(store, ann.id)) == 2


def test_the_box_changes_nothing_for_an_address_already_subscribed(
    app: Flask, settings: Settings, store: SqlStore, clock: Clock
) -> None:
    """Anyone can type an address: the answer is the same, and no programme starts."""
    ann = add_subscriber(store, "ann@example.com", "active", clock.now)
    answer = Browser(app).subscribe("ann@example.com", programme=KEY)
    assert answer.status_code == 200
    assert store.enrolments(ann.id) == [] and outbox(settings) == []


def test_a_wish_never_confirmed_never_mails_and_an_unknown_one_is_ignored(
    app: Flask, settings: Settings, store: SqlStore, clock: Clock
) -> None:
    Browser(app).subscribe("ann@example.com", programme="no-such-programme")
    Browser(app).subscribe("bob@example.com", programme=KEY)
    ann, bob = subscriber(store, "ann@example.com"), subscriber(store, "bob@example.com")
    assert store.enrolments(ann.id) == []
    clock.advance(days=60)
    assert store.readers_due(KEY, 1, "2027-01-30", clock.now, nothing_sent("2027-01-30")) == 0
    wished = enrolment(store, bob.id)
    assert wished is not None and wished.state == EnrolmentState.WAITING


def test_the_confirmation_page_offers_the_programme_with_a_button(
    app: Flask, settings: Settings, store: SqlStore, clock: Clock
) -> None:
    browser = Browser(app)
    browser.subscribe("ann@example.com")
    [mail] = outbox(settings)
    browser.get(mail.confirm_path())
    confirmed = browser.post(mail.confirm_path())
    html = confirmed.get_data(as_text=True)
    assert TITLE in html and 'value="join"' in html
    ann = subscriber(store, "ann@example.com")
    assert store.enrolments(ann.id) == []  # showing the button joins nobody

    seen = SEEN.search(html)
    action = re.search(r'<form method="post" action="([^"#]+)#programme"', html)
    assert seen and action
    answer = browser.post(action.group(1), {"programme": KEY, "action": "join", "seen": seen[1]})

    assert answer.status_code == 200
    assert "Choose what you get" in main_text(answer) and "Done: you're in." in main_text(answer)
    found = enrolment(store, ann.id)
    assert found is not None and found.state == EnrolmentState.ACTIVE


def test_a_digests_start_link_takes_each_reader_to_their_own_programme_section(
    app: Flask, settings: Settings, store: SqlStore, clock: Clock
) -> None:
    """Built and sent as `run` does (the footer offering the site's programmes), each
    reader's digest links to their own #programme, where one button joins."""
    week, send_at = "2026-W48", datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
    joined = send_at - timedelta(days=3)
    readers = [add_subscriber(store, f"{n}@example.com", "active", joined) for n in "ab"]
    offers = offer_titles(settings.root)
    assert offers == (TITLE,)
    assert build_digest(settings, store, send_at, week, offers=offers).digest is not None
    sent = send_digest(
        settings,
        store,
        lambda: send_at,
        SendOptions(week=week),
        variants=variant_source(settings, store, offers),
    )
    assert sent.sent == 2

    for reader, mail in zip(readers, sorted(outbox(settings), key=lambda m: m.to), strict=True):
        text = mail.text()
        assert f"Start {TITLE} (it begins the day you join):" in text
        found = re.search(r"(https://\S+)#programme", text)
        assert found, text
        path = urlsplit(found[1]).path
        assert path == preferences_path(settings, reader.id, reader.email_key)
        html = mail.message.get_body(("html",))
        assert html is not None and f'href="{found[1]}#programme"' in str(html.get_content())
        Reader(app, path).press("join")
        now_in = enrolment(store, reader.id)
        assert now_in is not None and now_in.state == EnrolmentState.ACTIVE


def test_an_edited_programmes_file_shows_without_restarting_the_app(
    app: Flask, settings: Settings, store: SqlStore, clock: Clock
) -> None:
    ann = add_subscriber(store, "ann@example.com", "active", clock.now)
    path = preferences_path(settings, ann.id, ann.email_key)
    assert TITLE in Browser(app).get(path).get_data(as_text=True)

    own = settings.root / "programmes.yaml"  # the owner copies ours and renames it
    own.write_text(default_programmes_path().read_text().replace(TITLE, "Feet, revised"))
    html = Browser(app).get(path).get_data(as_text=True)
    assert "Feet, revised" in html and TITLE not in html

    own.write_text("programmes: [oops\n")  # a mistake: no programme, the page still works
    page = Browser(app).get(path)
    assert page.status_code == 200 and '<section id="programme"' not in page.get_data(as_text=True)

    own.unlink()  # back to the shipped file
    assert TITLE in Browser(app).get(path).get_data(as_text=True)
