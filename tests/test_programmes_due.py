"""Programmes from the store to the reader's inbox (SQLite and PostgreSQL): 14 simulated
weeks on an injected clock, readers joining on different days, one leaving the list, one
bouncing, one pausing, cron down for three days, one run a `newsletter run` process killed
with SIGKILL mid-send; each reader gets their due steps exactly once, in order, one a day
at most, never on the digest's day (the message in flight at the kill goes again with its
Message-ID, and counts once)."""

from __future__ import annotations

import signal
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, update

from newsletter.config import Settings
from newsletter.mail.bounces.process import bounce_report
from newsletter.programmes.due import join, send_due_steps
from newsletter.programmes.model import Programme, Step
from newsletter.programmes.schedule import due_after, programme_day
from newsletter.store import SqlStore
from newsletter.store.models import Delivery, Subscriber
from newsletter.store.programmes import EnrolmentState, StepEmail
from newsletter.store.subscribers import SubscriberState
from tests.support.bounces import fill
from tests.support.clock import Clock
from tests.support.send import (
    Recorder,
    add_digest,
    add_subscribers,
    recording_smtp,
    run_newsletter,
    site,
)

START = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)  # a Tuesday; the digest goes on Mondays 07:00
FEET = Programme(
    key="feet",
    title="Stronger feet",
    summary="One exercise a week.",
    safety="If pain does not go away, see a physical therapist.",
    steps=tuple(
        Step(exercise=f"ex-{n}", after_days=0 if n == 1 else 7, sets="2 x 10", how_often="twice")
        for n in range(1, 12)
    ),
)


def render(programme: Programme, number: int) -> StepEmail:
    text = f"Step {number} of {programme.length}\n\nUnsubscribe: %%UNSUBSCRIBE_URL%%\n"
    html = f'<p>Step {number}</p><p><a href="%%UNSUBSCRIBE_URL%%">Unsubscribe</a></p>'
    return StepEmail(f"{programme.title}: step {number}", html, text)


@pytest.fixture
def smtp() -> Iterator[tuple[Recorder, str]]:
    with recording_smtp() as server:
        yield server


@pytest.fixture
def mailer(tmp_path: Path, smtp: tuple[Recorder, str], database_url: str) -> Settings:
    settings, _ = site(tmp_path / "site", smtp[1], database_url)
    return settings


def resent(recorder: Recorder) -> set[str]:
    """The Message-IDs the server took more than once (sent again after a crash)."""
    ids = Counter(str(received.message["Message-ID"]) for received in recorder.messages)
    return {message_id for message_id, n in ids.items() if n > 1}


def steps_by_reader(recorder: Recorder) -> dict[str, list[tuple[int, date]]]:
    """Each recipient's step numbers in the order they arrived, with the day they came; a
    message sent again after a crash (its Message-ID seen before) counts once."""
    got: dict[str, list[tuple[int, date]]] = defaultdict(list)
    seen: set[str] = set()
    for received in recorder.messages:
        message = received.message
        if message["Message-ID"] in seen:
            continue
        seen.add(str(message["Message-ID"]))
        number = int(str(message["Subject"]).rsplit(" ", 1)[1])
        day = message["Date"].datetime.astimezone(UTC).date()
        got[received.rcpt_tos[0]].append((number, day))
    return got


def subscriber_id(store: SqlStore, email: str) -> int:
    found = store.subscriber(email)
    assert found is not None
    return found.id


def joined(store: SqlStore, mailer: Settings, emails: list[str]) -> Clock:
    """``emails`` subscribed and joined to FEET on START's day at 08:00, after the send
    hour (their first step is due then); the clock, at that moment."""
    add_subscribers(store, emails)
    clock = Clock(START + timedelta(hours=2))
    for email in emails:
        join(mailer.newsletter, store, subscriber_id(store, email), FEET, clock())
    return clock


def site_programme(root: Path) -> None:
    """FEET as the site's programmes.yaml, each step's subject as ``render`` writes it, so a
    `newsletter run` in a process of its own queues and sends the same steps."""
    exercises = [
        "toe-tapping", "ankle-alphabet", "towel-scrunches", "marble-pickup", "short-foot",
        "resistance-band", "heel-walking", "toe-walking", "calf-raises", "balance",
        "eccentric-heel-drops",
    ]  # fmt: skip
    steps = "".join(
        f"      - {{exercise: {slug}, after_days: {0 if n == 1 else 7}, sets: 2 x 10,"
        f' how_often: twice, subject: "Stronger feet: step {n}"}}\n'
        for n, slug in enumerate(exercises, 1)
    )
    (root / "programmes.yaml").write_text(
        "programmes:\n  - key: feet\n    title: Stronger feet\n"
        "    summary: One exercise a week.\n    safety: See a physical therapist.\n"
        "    steps:\n" + steps,
        encoding="utf-8",
    )


def killed_mid_send(root: Path, env: dict[str, str], recorder: Recorder, at: datetime) -> None:
    """`newsletter run` at ``at``, SIGKILLed while the server holds its first step message
    (taken, not yet answered): that message is in flight when the sender dies."""
    recorder.hold_again(len(recorder.messages))
    process = run_newsletter("run", cwd=root, env=env, background=True, now=at.isoformat())
    recorder.wait_for(len(recorder.messages) + 1)
    process.kill()
    process.communicate(timeout=300)
    assert process.returncode == -signal.SIGKILL
    recorder.release()


def test_fourteen_weeks_of_steps(
    store: SqlStore, mailer: Settings, smtp: tuple[Recorder, str], database_url: str
) -> None:
    recorder = smtp[0]
    clock = Clock(START)
    # Day 7 (Tuesday, 2026-W50): the first run after the send hour is a process of its own,
    # killed mid-send; the cron runs after it are this one's. W50's digest went on Monday.
    site_programme(mailer.root)
    _, env = site(mailer.root, smtp[1], database_url)
    killed_on = START + timedelta(days=7, hours=5)
    readers = [
        "tue@x.org",
        "thu@x.org",
        "mon@x.org",
        "leaves@x.org",
        "bounces@x.org",
        "pauses@x.org",
    ]
    add_subscribers(store, readers)
    w50 = add_digest(store, week="2026-W50")
    with store.engine.begin() as connection:
        connection.execute(update(Delivery).where(Delivery.digest_id == w50).values(state="sent"))
    recorder.reject.add("bounces@x.org")
    joins = {
        "tue@x.org": 0,
        "leaves@x.org": 0,
        "bounces@x.org": 0,
        "pauses@x.org": 1,
        "thu@x.org": 2,
        "mon@x.org": 6,
    }  # days after START; day 6 is a Monday
    cron_down = {30, 31, 32}
    for day in range(14 * 7):
        for email, joined in joins.items():
            if joined == day:
                clock.now = START + timedelta(days=day, hours=4)  # 10:00, after the send hour
                join(mailer.newsletter, store, subscriber_id(store, email), FEET, clock())
        if day == 17:
            store.set_subscriber_state(
                subscriber_id(store, "leaves@x.org"), SubscriberState.UNSUBSCRIBED, clock()
            )
        if day == 9:
            store.set_enrolment_state(
                subscriber_id(store, "pauses@x.org"), "feet", EnrolmentState.PAUSED, clock()
            )
        if day == 19:
            store.set_enrolment_state(
                subscriber_id(store, "pauses@x.org"), "feet", EnrolmentState.ACTIVE, clock()
            )
        if day in cron_down:
            continue
        for hour in (0, 5, 12):  # cron every few hours: 06:00, 11:00, 18:00
            clock.now = START + timedelta(days=day, hours=hour)
            if clock.now == killed_on:
                killed_mid_send(mailer.root, env, recorder, clock.now)
                continue
            send_due_steps(mailer, store, clock, [FEET], render)
    in_flight = resent(recorder)
    assert len(in_flight) == 1, "the message the kill caught went again, with its Message-ID"
    got = steps_by_reader(recorder)
    for email, steps in got.items():
        numbers = [n for n, _ in steps]
        assert numbers == list(range(1, len(numbers) + 1)), f"{email}: in order, none twice"
        days = [d for _, d in steps]
        assert len(set(days)) == len(days), f"{email}: one step a day at most"
        assert all(d.weekday() != 0 for d in days), f"{email}: never on the digest's day"
    assert [n for n, _ in got["tue@x.org"]] == list(range(1, 12))
    assert [n for n, _ in got["thu@x.org"]] == list(range(1, 12))
    assert got["mon@x.org"][0][1] == date(2026, 12, 8), "joined on a Monday: starts Tuesday"
    assert len(got["leaves@x.org"]) == 3, "weeks 0, 1, 2; unsubscribed on day 17"
    assert "bounces@x.org" not in got, "refused with a 550: a hard bounce"
    assert store.subscriber("bounces@x.org").state == SubscriberState.BOUNCED  # type: ignore[union-attr]
    paused = [d for _, d in got["pauses@x.org"]]
    assert not [d for d in paused if date(2026, 12, 10) <= d < date(2026, 12, 20)], "held"
    down = {(START + timedelta(days=d)).date() for d in cron_down}
    sent_days = {d for steps in got.values() for _, d in steps}
    assert not sent_days & down
    counts = store.programme_counts("feet")
    assert [n for n, _ in got["pauses@x.org"]] == list(range(1, 12)), "ten days later"
    assert paused[-1] - got["tue@x.org"][-1][1] == timedelta(days=5), "a day later, 4 held"
    assert (counts.finished, counts.left, counts.paused, counts.at_step) == (4, 2, 0, {})


def test_a_step_is_queued_once_however_often_cron_runs(
    store: SqlStore, mailer: Settings, smtp: tuple[Recorder, str]
) -> None:
    clock = joined(store, mailer, ["a@x.org"])
    first = send_due_steps(mailer, store, clock, [FEET], render)
    again = send_due_steps(mailer, store, clock, [FEET], render)
    assert first.queued == {"feet step 1": 1} and first.sent == 1
    assert again.queued == {} and again.sent == 0
    assert len(smtp[0].messages) == 1


def test_which_digests_went_today_is_asked_only_when_a_step_has_readers_due(
    store: SqlStore, mailer: Settings
) -> None:
    # Cron runs every few minutes; on a large list the question scans the week's digest
    # deliveries, so the runs of the day after the steps are queued do not ask it.
    asked: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if "DISTINCT deliveries.digest_id" in statement:
            asked.append(statement)

    clock = joined(store, mailer, ["a@x.org"])
    event.listen(store.engine, "before_cursor_execute", seen)
    try:
        first = send_due_steps(mailer, store, clock, [FEET], render)
        asked_first = len(asked)
        clock.now += timedelta(minutes=5)
        again = send_due_steps(mailer, store, clock, [FEET], render)
    finally:
        event.remove(store.engine, "before_cursor_execute", seen)
    assert first.queued == {"feet step 1": 1} and asked_first == 1, "asked, once, to queue"
    assert again.queued == {} and len(asked) == 1, "nobody due: not asked again"


def test_restart_starts_over_and_rejoining_carries_on(store: SqlStore, mailer: Settings) -> None:
    clock = joined(store, mailer, ["a@x.org"])
    reader = subscriber_id(store, "a@x.org")
    send_due_steps(mailer, store, clock, [FEET], render)
    store.set_enrolment_state(reader, "feet", EnrolmentState.LEFT, clock())
    clock.advance(days=8)
    rejoined = join(mailer.newsletter, store, reader, FEET, clock())
    assert (rejoined.state, rejoined.steps_sent) == (EnrolmentState.ACTIVE, 1)
    restarted = join(mailer.newsletter, store, reader, FEET, clock(), restart=True)
    assert (restarted.steps_sent, restarted.due_on) == (0, "2026-12-09")
    history = store.enrolments(reader)
    assert len(history) == 1


def test_the_schedule_avoids_the_digest_day_and_waits_for_the_send_hour() -> None:
    settings_day = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # Monday, after 07:00
    from datetime import time

    from newsletter.config.settings import SendOn

    monday = SendOn(0, time(7, 0))
    assert programme_day(settings_day, monday, "UTC") is None
    assert programme_day(settings_day + timedelta(days=1), monday, "UTC") == date(2026, 12, 8)
    assert programme_day(datetime(2026, 12, 8, 6, 59, tzinfo=UTC), monday, "UTC") is None
    assert due_after(date(2026, 12, 1), 6, monday) == date(2026, 12, 8), "Monday → Tuesday"
    assert due_after(date(2026, 12, 1), 7, monday) == date(2026, 12, 8)


def test_a_reader_of_plain_text_gets_the_step_as_text(
    store: SqlStore, mailer: Settings, smtp: tuple[Recorder, str]
) -> None:
    clock = joined(store, mailer, ["html@x.org", "text@x.org"])
    with store.engine.begin() as connection:
        connection.execute(
            update(Subscriber).where(Subscriber.email == "text@x.org").values(choice="fmt=text")
        )
    assert send_due_steps(mailer, store, clock, [FEET], render).sent == 2
    kinds = {r.rcpt_tos[0]: r.message.get_content_type() for r in smtp[0].messages}
    assert kinds == {"html@x.org": "multipart/alternative", "text@x.org": "text/plain"}


def test_a_step_waiting_for_a_retry_is_dropped_when_the_reader_leaves_the_programme(
    store: SqlStore, mailer: Settings, smtp: tuple[Recorder, str]
) -> None:
    clock = joined(store, mailer, ["stays@x.org", "leaves@x.org"])
    smtp[0].tempfail_once.update({"stays@x.org", "leaves@x.org"})
    first = send_due_steps(mailer, store, clock, [FEET], render)
    assert (first.sent, first.retry) == (0, 2)
    store.set_enrolment_state(
        subscriber_id(store, "leaves@x.org"), "feet", EnrolmentState.LEFT, clock()
    )
    clock.advance(hours=3)
    later = send_due_steps(mailer, store, clock, [FEET], render)
    assert (later.sent, later.skipped) == (1, 1)
    assert smtp[0].recipients() == ["stays@x.org"]


def test_without_verp_a_bounce_of_a_step_stops_a_reader_sent_no_digest_yet(
    store: SqlStore, mailer: Settings, smtp: tuple[Recorder, str]
) -> None:
    clock = joined(store, mailer, ["new@x.org"])
    assert send_due_steps(mailer, store, clock, [FEET], render).sent == 1
    bounce = bounce_report(fill("postfix_01", "news@example.com", "new@x.org"), None)
    assert bounce.proof == "recent_send"
    recorded = store.record_bounce(bounce, clock() + timedelta(hours=1), 3)
    assert recorded is not None and recorded.action == "suppressed"
    clock.advance(days=7)
    assert send_due_steps(mailer, store, clock, [FEET], render).queued == {}, "no step 2"


def test_readers_past_a_shortened_programme_are_finished(
    store: SqlStore, mailer: Settings, smtp: tuple[Recorder, str]
) -> None:
    clock = joined(store, mailer, ["a@x.org"])
    reader = subscriber_id(store, "a@x.org")
    for _ in range(3):
        send_due_steps(mailer, store, clock, [FEET], render)
        clock.advance(days=7)
    shortened = replace(FEET, steps=FEET.steps[:3])  # the site cut steps 4-11
    assert send_due_steps(mailer, store, clock, [shortened], render).queued == {}
    (enrolment,) = store.enrolments(reader)
    assert (enrolment.state, enrolment.steps_sent, enrolment.due_on) == ("finished", 3, None)
    assert len(smtp[0].messages) == 3


def test_a_digest_sent_a_day_late_holds_that_days_step_for_its_readers(
    store: SqlStore, mailer: Settings, smtp: tuple[Recorder, str]
) -> None:
    # Cron (or the mail server) was down on Monday: W50's digest reached late@ on Tuesday
    # morning, the day their second step was due. On time@'s it went on Monday.
    clock = joined(store, mailer, ["late@x.org", "time@x.org"])  # Tuesday 08:00
    send_due_steps(mailer, store, clock, [FEET], render)
    w50 = add_digest(store, week="2026-W50")
    for email, sent_at in (
        ("late@x.org", datetime(2026, 12, 8, 6, 30, tzinfo=UTC)),
        ("time@x.org", datetime(2026, 12, 7, 7, 0, tzinfo=UTC)),
    ):
        with store.engine.begin() as connection:
            connection.execute(
                update(Delivery)
                .where(
                    Delivery.digest_id == w50,
                    Delivery.subscriber_id == subscriber_id(store, email),
                )
                .values(state="sent", sent_at=sent_at)
            )
    clock.now = datetime(2026, 12, 8, 8, 0, tzinfo=UTC)
    tuesday = send_due_steps(mailer, store, clock, [FEET], render)
    clock.now = datetime(2026, 12, 9, 8, 0, tzinfo=UTC)
    wednesday = send_due_steps(mailer, store, clock, [FEET], render)

    assert tuesday.queued == {"feet step 2": 1} and wednesday.queued == {"feet step 2": 1}
    got = steps_by_reader(smtp[0])
    assert got["time@x.org"] == [(1, date(2026, 12, 1)), (2, date(2026, 12, 8))]
    assert got["late@x.org"] == [(1, date(2026, 12, 1)), (2, date(2026, 12, 9))], "a day on"
    [late] = store.enrolments(subscriber_id(store, "late@x.org"))
    assert late.due_on == "2026-12-16", "the next step counts from the day this one went"
