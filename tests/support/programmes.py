"""Readers placed in the shipped programme as runs would have left them (no tests here)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from newsletter.store import SqlStore
from newsletter.store.programmes import EnrolmentState, SentToday, StepEmail
from newsletter.store.subscribers import NewSubscriber, SubscriberSource, SubscriberState

KEY = "stronger-feet"  # the shipped programmes.yaml's
TITLE = "Stronger feet in 11 weeks"
STEPS = 11


def into_programme(
    store: SqlStore,
    subscriber_id: int,
    steps: int,
    last_day: date,
    state: EnrolmentState = EnrolmentState.ACTIVE,
) -> None:
    """Join, then get steps 1 to ``steps`` a week apart, the last on ``last_day`` (the one
    after it due a week later); then pause or leave when ``state`` says so. Each step is
    queued for every reader due it: place readers before joining others to the programme."""
    store.enrol(subscriber_id, KEY, "2020-01-06", datetime(2020, 1, 6, tzinfo=UTC), False)
    email = StepEmail("Step", "<p>Step</p>", "Step")
    for number in range(1, steps + 1):
        day = last_day - timedelta(weeks=steps - number)
        after = None if number == STEPS else (day + timedelta(weeks=1)).isoformat()
        at = datetime.combine(day, time(9), UTC)
        queued = store.queue_step(
            KEY, number, day.isoformat(), after, email, at, nothing_sent(day.isoformat())
        )
        assert queued >= 1, f"step {number} was not due on {day}"
    if state in (EnrolmentState.PAUSED, EnrolmentState.LEFT):
        when = datetime.combine(last_day, time(12), UTC)
        store.set_enrolment_state(subscriber_id, KEY, state, when)


def readers_everywhere(store: SqlStore, now: datetime) -> dict[str, int]:
    """Subscriber ids of readers at each place of the programme: two finished, three after
    step 3, one just joined, one paused, one who left it, one who left the list part way,
    and a wish from the sign-up form never confirmed (which counts nowhere)."""
    last = now.date() - timedelta(days=1)
    places = (
        ("fin1", 11, EnrolmentState.ACTIVE),
        ("fin2", 11, EnrolmentState.ACTIVE),
        ("three1", 3, EnrolmentState.ACTIVE),
        ("three2", 3, EnrolmentState.ACTIVE),
        ("three3", 3, EnrolmentState.ACTIVE),
        ("paused", 2, EnrolmentState.PAUSED),
        ("left", 5, EnrolmentState.LEFT),
        ("gone", 4, EnrolmentState.ACTIVE),
    )
    ids = {}
    for n, (name, steps, state) in enumerate(places):
        reader = _subscriber(store, f"{name}@example.com", SubscriberState.ACTIVE, now)
        day = last - timedelta(days=n // 2)  # two readers a day at most: one per step
        into_programme(store, reader, steps, day, state)
        ids[name] = reader
    store.set_subscriber_state(ids["gone"], SubscriberState.UNSUBSCRIBED, now)
    ids["new"] = _subscriber(store, "new@example.com", SubscriberState.ACTIVE, now)
    store.enrol(ids["new"], KEY, (last + timedelta(days=2)).isoformat(), now, restart=False)
    ids["wisher"] = _subscriber(store, "wisher@example.com", SubscriberState.PENDING, now)
    assert store.wish_programme(ids["wisher"], KEY, now)
    return ids


def _subscriber(store: SqlStore, address: str, state: SubscriberState, now: datetime) -> int:
    new = NewSubscriber(address, address, None, state, SubscriberSource.CLI)
    record = store.create_subscriber(new, now)
    assert record is not None
    return record.id


def nothing_sent(day: str) -> SentToday:
    """``day`` on a site in UTC, no digest sent on it."""
    return SentToday(datetime.fromisoformat(day).replace(tzinfo=UTC))
