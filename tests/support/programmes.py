"""Readers placed in the shipped programme as runs would have left them (no tests here)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from newsletter.store import SqlStore
from newsletter.store.programmes import EnrolmentState, StepEmail

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
        queued = store.queue_step(KEY, number, day.isoformat(), after, email, at)
        assert queued >= 1, f"step {number} was not due on {day}"
    if state in (EnrolmentState.PAUSED, EnrolmentState.LEFT):
        when = datetime.combine(last_day, time(12), UTC)
        store.set_enrolment_state(subscriber_id, KEY, state, when)
