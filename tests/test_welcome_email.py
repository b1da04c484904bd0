"""The welcome email (issue 22): a reader who confirms their sign-up on the web form gets
one, exactly once, whatever the clicks, the tabs or the mail server do; it says when the
digest comes, shows this week's exercise with its picture, and links the reader's own
preferences and unsubscribe pages, as a reader's message like the digest (List-Unsubscribe,
DKIM, VERP). Imports and the operator's adds get none.

Every test with the ``store`` fixture runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask

from newsletter.config import SendOn, Settings
from newsletter.digest.picture import email_picture
from newsletter.digest.rotation import choose_exercise
from newsletter.digest.weeks import current_week
from newsletter.digest.welcome import WelcomeWriter, schedule, welcome_readers
from newsletter.mail.bounces.process import bounce_report
from newsletter.mail.message import PREFERENCES_PLACEHOLDER
from newsletter.mail.size import unsubscribe_mailbox
from newsletter.mail.verp import VerpRef, verp_for
from newsletter.run import RunReport, run_after_collect
from newsletter.store import SqlStore
from newsletter.store.once_emails import MAX_ATTEMPTS, OnceEmail, OnceEmailState
from newsletter.store.subscribers import SubscriberRecord
from newsletter.store.welcome_emails import WelcomeToSend
from newsletter.subscribers import Links, load_tokens
from newsletter.subscribers.preferences import Choice
from newsletter.subscribers.service import (
    add_subscribers,
    confirm_subscription,
    import_subscribers,
    unsubscribe_with_token,
)
from newsletter.web import UNLIMITED
from tests.support.bounces import fill
from tests.support.clock import Clock
from tests.support.deliverability import DkimKey, dkim_site
from tests.support.send import Recorder
from tests.support.web import (
    Browser,
    Mail,
    add_subscriber,
    main_text,
    make_app,
    outbox,
    subscriber,
    web_settings,
)

S = OnceEmailState
WELCOME = OnceEmail.WELCOME
DOWN = "smtp://127.0.0.1:1"  # nothing listens there: every connection is refused
FOOT = [("feet", "Stronger feet in 11 weeks", "One exercise a week, from the day you join.")]


@pytest.fixture
def app(settings: Settings, store: SqlStore, clock: Clock) -> Flask:
    return make_app(settings, store, clock, UNLIMITED)


def confirm_path(settings: Settings, record: SubscriberRecord) -> str:
    return urlsplit(links_of(settings).confirm(record.id, record.email_key)).path


def links_of(settings: Settings) -> Links:
    return Links(
        settings.env.base_url,
        load_tokens(settings.env.secret_key, settings.db_dir),
        unsubscribe_mailbox(settings.newsletter),
    )


def follow(browser: Browser, path: str) -> str:
    """Open a confirm link and press its button, as a reader does: the page's text."""
    assert browser.get(path).status_code == 200
    answer = browser.post(path)
    assert answer.status_code == 200
    return main_text(answer)


def signed_up(app: Flask, settings: Settings, address: str) -> str:
    """Sign up on the form: the path of the confirm link the email carries."""
    Browser(app).subscribe(address)
    return outbox(settings)[-1].confirm_path()


def welcomes(settings: Settings) -> list[Mail]:
    return [m for m in outbox(settings) if str(m.message["Subject"]).startswith("Welcome")]


def web_reader(store: SqlStore, clock: Clock, address: str = "ann@example.com") -> SubscriberRecord:
    return add_subscriber(store, address, "pending", clock.now, source="web")


def test_confirming_sends_one_welcome_however_often_the_link_is_followed(
    app: Flask, store: SqlStore, settings: Settings, clock: Clock
) -> None:
    path = signed_up(app, settings, "ann@example.com")
    tab, other_tab = Browser(app), Browser(app)
    for browser in (tab, other_tab):  # the link opened twice, each showing its button
        assert browser.get(path).status_code == 200
    for browser in (tab, other_tab, tab):  # pressed in both tabs, one of them twice
        answer = browser.post(path)
        assert answer.status_code == 200 and "You're subscribed" in main_text(answer)
    later = Browser(app, "198.51.100.9").get(path)  # and the link again on their phone
    assert later.status_code == 200
    [welcome] = welcomes(settings)
    assert welcome.to == "ann@example.com"
    reader = subscriber(store, "ann@example.com")
    assert (reader.state, store.once_email_state(WELCOME, reader.id)) == (
        "active",
        S.SENT,
    )
    report = welcome_readers(settings, store, clock)  # `run`'s step: nothing is owed
    assert report.summary() == "welcome: no new reader to welcome"
    assert len(welcomes(settings)) == 1


def test_tabs_confirming_at_the_same_moment_owe_and_send_one_welcome(
    store: SqlStore, tmp_path: Path, clock: Clock, smtp: tuple[Recorder, str]
) -> None:
    recorder, url = smtp
    settings = web_settings(tmp_path / "site", NEWSLETTER_SMTP_URL=url)
    reader = web_reader(store, clock)
    token = load_tokens(settings.env.secret_key, settings.db_dir).make(
        "confirm", reader.id, reader.email_key
    )
    tabs = 4
    start = threading.Barrier(tabs)

    def tab(_: int) -> int:
        start.wait()  # every tab's request at once
        found = confirm_subscription(
            store, load_tokens(settings.env.secret_key, settings.db_dir), token, clock()
        )
        return welcome_readers(settings, store, clock, only=found.id).sent

    with ThreadPoolExecutor(tabs) as pool:
        sent = list(pool.map(tab, range(tabs)))
    assert sorted(sent) == [0] * (tabs - 1) + [1]
    assert recorder.recipients() == ["ann@example.com"]
    assert store.once_email_state(WELCOME, reader.id) == S.SENT


def test_a_mail_server_down_at_confirmation_fails_nothing_and_run_sends_the_welcome_once(
    store: SqlStore, tmp_path: Path, clock: Clock, smtp: tuple[Recorder, str]
) -> None:
    down = web_settings(tmp_path / "site", NEWSLETTER_SMTP_URL=DOWN)
    reader = web_reader(store, clock)
    page = follow(Browser(make_app(down, store, clock, UNLIMITED)), confirm_path(down, reader))
    assert "You're subscribed" in page, "the reader sees their subscription confirmed"
    assert subscriber(store, "ann@example.com").state == "active"
    assert store.once_email_state(WELCOME, reader.id) == S.RETRY, (
        "not lost: waiting for the next run"
    )

    recorder, url = smtp
    up = web_settings(tmp_path / "site", NEWSLETTER_SMTP_URL=url)  # the server is back
    clock.advance(minutes=10)
    report = run_after_collect(up, store, clock, RunReport())
    assert report.steps["welcome"].summary() == "welcome: 1 new reader(s) welcomed"
    assert list(report.steps)[-2:] == ["answers", "welcome"]
    assert recorder.recipients() == ["ann@example.com"]
    again = run_after_collect(up, store, clock, RunReport())
    assert again.steps["welcome"].as_dict() == {
        "sent": 0,
        "retry": 0,
        "failed": 0,
        "problems": [],
    }
    assert recorder.recipients() == ["ann@example.com"]
    assert store.once_email_state(WELCOME, reader.id) == S.SENT


def test_a_server_that_stays_down_is_tried_at_later_runs_then_given_up(
    store: SqlStore, tmp_path: Path, clock: Clock
) -> None:
    down = web_settings(tmp_path / "site", NEWSLETTER_SMTP_URL=DOWN)
    reader = web_reader(store, clock)
    assert store.confirm_subscriber(reader.id, clock())
    first = welcome_readers(down, store, clock)
    assert (first.sent, first.retry) == (0, 1) and "cannot connect" in first.summary()
    for _ in range(MAX_ATTEMPTS - 1):
        welcome_readers(down, store, clock)
    assert store.once_email_state(WELCOME, reader.id) == S.FAILED
    assert store.welcomes_due(10) == []


def test_a_reader_who_leaves_before_it_goes_gets_no_welcome(
    store: SqlStore, tmp_path: Path, clock: Clock, smtp: tuple[Recorder, str]
) -> None:
    down = web_settings(tmp_path / "site", NEWSLETTER_SMTP_URL=DOWN)
    reader = web_reader(store, clock)
    tokens = load_tokens(down.env.secret_key, down.db_dir)
    token = tokens.make("confirm", reader.id, reader.email_key)
    confirm_subscription(store, tokens, token, clock())
    assert welcome_readers(down, store, clock, only=reader.id).retry == 1
    leave = tokens.make("unsubscribe", reader.id, reader.email_key)
    unsubscribe_with_token(store, tokens, leave, clock())

    recorder, url = smtp
    up = web_settings(tmp_path / "site", NEWSLETTER_SMTP_URL=url)
    assert welcome_readers(up, store, clock).sent == 0
    assert not store.claim_once_email(WELCOME, reader.id, clock()), "not even by a stale list"
    assert recorder.messages == []


def test_imports_and_the_operators_adds_owe_no_welcome(store: SqlStore, clock: Clock) -> None:
    now = clock()
    web = web_reader(store, clock, "web@example.com")  # signed up, never confirmed
    report = import_subscribers(store, ["web@example.com", "moved@example.com"], now)
    assert (report.new, report.activated) == (1, 1)
    add_subscribers(store, ["cli@example.com"], confirmed=True, now=now)
    [asked] = add_subscribers(store, ["asked@example.com"], confirmed=False, now=now)
    # The operator's add sends a confirmation email; confirming it owes no welcome either.
    assert store.confirm_subscriber(asked.subscriber.id, now) is not None
    readers = [store.subscriber(f"{name}@example.com") for name in ("moved", "cli", "asked")]
    for reader in [web, *readers]:
        assert reader is not None
        assert subscriber(store, reader.email).state == "active"
        assert store.once_email_state(WELCOME, reader.id) is None
    assert store.welcomes_due(10) == []


def test_confirming_owes_the_welcome_in_the_same_transaction_once(
    store: SqlStore, clock: Clock
) -> None:
    reader = web_reader(store, clock)
    confirmed = store.confirm_subscriber(reader.id, clock())
    assert confirmed is not None and confirmed.state == "active"
    assert store.confirm_subscriber(reader.id, clock()) is None, "confirmed once"
    assert store.once_email_state(WELCOME, reader.id) == S.DUE
    [due] = store.welcomes_due(10)
    assert (due.subscriber_id, due.attempts) == (reader.id, 0)
    assert store.welcomes_due(10, only=reader.id) == [due]
    assert store.claim_once_email(WELCOME, reader.id, clock())
    assert not store.claim_once_email(WELCOME, reader.id, clock()), "a second claimer gets nothing"
    store.record_once_email(WELCOME, reader.id, S.RETRY, clock(), None, "451 try later")
    assert store.welcomes_due(10, only=reader.id) == [], "a retry waits for a run"
    assert [w.attempts for w in store.welcomes_due(10)] == [1]
    assert store.erase_subscriber(reader.id, clock())
    assert store.once_email_state(WELCOME, reader.id) is None, "erased with the reader"


def test_the_welcome_says_when_the_digest_comes_shows_the_exercise_and_links_their_pages(
    app: Flask, store: SqlStore, settings: Settings, clock: Clock
) -> None:
    follow(Browser(app), signed_up(app, settings, "Ann.Runner@example.com"))
    [welcome] = welcomes(settings)
    message = welcome.message
    reader = subscriber(store, "ann.runner@example.com")
    links = links_of(settings)
    unsubscribe, mailto = links.unsubscribe_ways(reader.id, reader.email_key)
    preferences = links.preferences(reader.id, reader.email_key)
    assert mailto is not None
    # Wednesday 25 November: the next digest is Monday's, 30 November.
    assert str(message["Subject"]) == "Welcome! Your first digest comes on Monday 30 November 2026"
    assert str(message["From"]) == "Best Running Tips <news@example.com>"
    assert "".join(str(message["List-Unsubscribe"]).split()) == f"<{unsubscribe}>,<{mailto}>"
    assert str(message["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    assert str(message["List-Id"]) == "Best Running Tips <list.example.com>"
    html_part, text_part = message.get_body(("html",)), message.get_body(("plain",))
    assert html_part is not None and text_part is not None
    html, text = html_part.get_content(), text_part.get_content().replace("\r\n", "\n")
    words = " ".join(text.split())
    assert "Your digest comes every Monday at 07:00 (Europe/London time)" in words
    assert "The first one comes on Monday 30 November 2026." in words

    # This week's exercise, as the rotation gives it, with the digest's picture.
    catalog, stored = store.exercise_catalog(), store.featured_weeks()
    week = current_week(clock.now, settings.newsletter.timezone)
    [exercise] = [e for e in catalog if e.id == choose_exercise(week, catalog, stored).exercise_id]
    assert f"FOOT EXERCISE OF THE WEEK: {exercise.name.upper()}" in text
    assert exercise.name in html and "Foot exercise of the week" in html
    picture = email_picture(settings.root, exercise.slug)
    assert picture is not None
    src = settings.env.base_url + picture.path
    assert '<img class="picture"' in html and f'src="{src}"' in html
    assert stored == {}, "nothing recorded for the welcome: the digest chooses when built"
    drawn = app.test_client().get(urlsplit(src).path)
    assert (drawn.status_code, drawn.content_type) == (200, "image/png")

    # Their own pages: the preferences page, and the unsubscribe link of List-Unsubscribe.
    for url in (preferences, unsubscribe):
        assert f'href="{url}"' in html and f"{url}\n" in text
    # The site's programme (the bundled one), offered with a link to join it there.
    assert "Stronger feet in 11 weeks" in html and "Stronger feet in 11 weeks" in text
    assert f'href="{preferences}#programme"' in html and f"{preferences}#programme\n" in text
    assert '<p class="excerpt" style="margin: 0 0 6px 0;' in html, "the styles are inlined"
    browser = Browser(app)
    assert browser.get(urlsplit(preferences).path).status_code == 200
    one_click = browser.post(urlsplit(unsubscribe).path, {"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200
    assert subscriber(store, reader.email).state == "unsubscribed"


def test_a_programme_the_reader_joined_on_the_form_is_not_offered_again(
    app: Flask, store: SqlStore, settings: Settings
) -> None:
    browser = Browser(app)
    browser.subscribe("ann@example.com", programme="stronger-feet")
    follow(browser, outbox(settings)[-1].confirm_path())
    reader = subscriber(store, "ann@example.com")
    assert [place.programme for place in store.enrolments(reader.id)] == ["stronger-feet"]
    [welcome] = welcomes(settings)
    html = welcome.message.get_body(("html",))
    assert html is not None and "Start from the beginning" not in html.get_content()
    assert "#programme" not in welcome.text() and "START FROM" not in welcome.text()


def test_programmes_monthly_readers_plain_text_and_a_pinned_exercise(
    store: SqlStore, settings: Settings, clock: Clock
) -> None:
    reader = WelcomeToSend(7, "ann@example.com", "ann@example.com", "Ann", "", "weekly", 0)
    offered = WelcomeWriter(settings, store, FOOT)(reader, clock())
    for part in (offered.html, offered.text):
        assert "Stronger feet in 11 weeks" in part and "from the day you join" in part
        assert f"{PREFERENCES_PLACEHOLDER}#programme" in part
    assert "Welcome, Ann!" in offered.text

    writer = WelcomeWriter(settings, store)
    monthly = writer(replace(reader, frequency="monthly"), clock())
    assert monthly.subject == "Welcome! Your first digest comes on Monday 7 December 2026"
    assert "on the month's first Monday at 07:00 (Europe/London time)" in " ".join(
        monthly.text.split()
    )
    text_only = writer(replace(reader, choice=Choice(format="text").stored), clock())
    assert text_only.html == "" and "FOOT EXERCISE OF THE WEEK" in text_only.text

    week = current_week(clock.now, settings.newsletter.timezone)
    pinned = store.exercise_catalog()[-1]
    store.pin_week(week, pinned.id, clock())
    shown = WelcomeWriter(settings, store)(reader, clock())
    assert f"FOOT EXERCISE OF THE WEEK: {pinned.name.upper()}" in shown.text


MONDAY_7 = SendOn(0, datetime(2026, 1, 1, 7, 0).time())


@pytest.mark.parametrize(
    ("now", "monthly", "first"),
    [
        (datetime(2026, 11, 30, 6, 59, tzinfo=UTC), False, "2026-11-30"),  # before 07:00
        (datetime(2026, 11, 30, 7, 1, tzinfo=UTC), False, "2026-12-07"),  # just after
        (datetime(2026, 11, 25, 9, 0, tzinfo=UTC), True, "2026-12-07"),  # a month's first
        (datetime(2026, 12, 7, 8, 0, tzinfo=UTC), True, "2027-01-04"),  # the next month's
        (datetime(2026, 3, 29, 6, 30, tzinfo=UTC), False, "2026-03-30"),  # 07:00 BST next day
    ],
)
def test_when_the_first_digest_comes(now: datetime, monthly: bool, first: str) -> None:
    when = schedule(MONDAY_7, "Europe/London", monthly, now)
    assert when.first.isoformat() == first
    words = "on the month's first Monday" if monthly else "every Monday"
    assert when.words == f"{words} at 07:00 (Europe/London time)"


def test_the_welcome_is_signed_and_its_bounce_acts_on_the_reader(
    store: SqlStore, tmp_path: Path, clock: Clock
) -> None:
    key = DkimKey(tmp_path)
    settings = dkim_site(tmp_path / "site", key, "  bounce_address: bounces@example.com\n")
    reader = web_reader(store, clock, "ann@example.org")
    store.confirm_subscriber(reader.id, clock())
    assert welcome_readers(settings, store, clock).sent == 1
    assert settings.env.outbox is not None
    [sent] = list(settings.env.outbox.glob("*.eml"))
    data = sent.read_bytes()
    assert b"DKIM-Signature:" in data and key.verify(data)
    verp = verp_for(settings)
    assert verp is not None
    return_path = data.split(b"Return-Path: <", 1)[1].split(b">", 1)[0].decode()
    token = return_path.split("+", 1)[1].split("@", 1)[0]
    assert verp.read(token) == VerpRef("welcome", reader.id)

    bounce = bounce_report(fill("dsn_11", return_path, "ann@example.org"), verp)
    assert (bounce.kind, bounce.ref_kind, bounce.ref_id) == ("hard", "welcome", reader.id)
    action = store.record_bounce(bounce, clock(), 3)
    assert action is not None and action.action == "suppressed"
    assert subscriber(store, "ann@example.org").state == "bounced"
