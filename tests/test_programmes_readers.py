"""What a reader does with a programme (programmes/readers.py) and the store's part in it:
the buttons each place offers and the day the next step comes (pure), and the sign-up
form's wish kept until the address is confirmed (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from newsletter.config import Settings
from newsletter.config.settings import SendOn
from newsletter.programmes.file import load_site_programmes
from newsletter.programmes.model import Programme
from newsletter.programmes.readers import (
    act,
    action_of,
    next_step_day,
    offered,
    places,
    start_wished,
)
from newsletter.store import SqlStore
from newsletter.store.programmes import EnrolmentState, ProgrammeCounts, StepEmail
from newsletter.store.subscribers import SubscriberState
from tests.support.programmes import nothing_sent
from tests.support.web import add_subscriber, web_settings

MONDAY_7 = SendOn(0, time(7))
LONDON = "Europe/London"
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # a Wednesday


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return web_settings(tmp_path / "site")  # the digest on Mondays at 07:00, London


@pytest.fixture
def feet(settings: Settings) -> Programme:
    """The shipped "Stronger feet in 11 weeks"."""
    return load_site_programmes(settings.root)[0]


def test_each_place_offers_its_buttons() -> None:
    assert offered("none", 0) == ("join",)
    assert offered("active", 0) == ("pause", "leave")
    assert offered("paused", 4) == ("resume", "restart", "leave")
    assert offered("finished", 11) == ("restart",)
    assert offered("left", 0) == ("join",)  # nothing to carry on from
    assert offered("left", 3) == ("join", "restart")
    assert action_of("pause") == "pause"
    assert action_of("drop table") is None and action_of("") is None


def test_the_next_step_comes_on_its_day_or_today_never_on_the_digest_day() -> None:
    wednesday = date(2026, 11, 25)
    assert next_step_day(date(2026, 12, 1), NOW, MONDAY_7, LONDON) == date(2026, 12, 1)
    assert next_step_day(date(2026, 11, 2), NOW, MONDAY_7, LONDON) == wednesday  # overdue
    sunday_night = datetime(2026, 11, 29, 23, 30, tzinfo=UTC)  # Sunday 23:30 in London
    monday_late = sunday_night + timedelta(hours=1)  # Monday 00:30: the digest's day
    assert next_step_day(date(2026, 11, 2), sunday_night, MONDAY_7, LONDON) == date(2026, 11, 29)
    assert next_step_day(date(2026, 11, 2), monday_late, MONDAY_7, LONDON) == date(2026, 12, 1)


def test_a_wish_is_kept_only_for_a_pending_address(store: SqlStore) -> None:
    pending = add_subscriber(store, "ann@example.com", "pending", NOW)
    active = add_subscriber(store, "bob@example.com", "active", NOW)

    assert store.wish_programme(pending.id, "feet", NOW)
    assert store.wish_programme(pending.id, "feet", NOW)  # the form sent twice: one row
    assert not store.wish_programme(active.id, "feet", NOW)
    assert not store.wish_programme(404, "feet", NOW)

    [kept] = store.enrolments(pending.id)
    assert (kept.state, kept.steps_sent, kept.due_on) == (EnrolmentState.WAITING, 0, None)
    assert store.enrolments(active.id) == []
    said = [what for _at, what in store.subscriber_events(pending.id)]
    assert said == ["asked for the programme feet on sign-up"]
    # Never due, whatever the day, and counted nowhere, even once confirmed.
    store.set_subscriber_state(pending.id, SubscriberState.ACTIVE, NOW)
    later = NOW + timedelta(days=400)
    assert store.readers_due("feet", 1, "2027-12-31", later, nothing_sent("2027-12-31")) == 0
    assert store.programme_counts("feet") == ProgrammeCounts("feet")


def test_a_wish_starts_over_a_left_or_finished_enrolment_and_leaves_a_live_one(
    store: SqlStore,
) -> None:
    readers = {
        state: add_subscriber(store, f"{state}@example.com", "active", NOW)
        for state in ("left", "finished", "active", "paused")
    }
    finished = readers["finished"].id
    store.enrol(finished, "feet", "2026-11-01", NOW, restart=False)
    # Its one step: finished.
    store.queue_step("feet", 1, "2026-11-02", None, _email(), NOW, nothing_sent("2026-11-02"))
    for state, reader in readers.items():
        if state != "finished":
            store.enrol(reader.id, "feet", "2026-11-01", NOW, restart=False)
        if state in ("left", "paused"):
            store.set_enrolment_state(reader.id, "feet", EnrolmentState(state), NOW)
    for reader in readers.values():  # they left the list, and sign up again
        store.set_subscriber_state(reader.id, SubscriberState.PENDING, NOW)

    kept = {state: store.wish_programme(r.id, "feet", NOW) for state, r in readers.items()}

    assert kept == {"left": True, "finished": True, "active": False, "paused": False}
    states = {state: store.enrolments(r.id)[0].state for state, r in readers.items()}
    assert states["left"] == EnrolmentState.WAITING
    assert states["finished"] == EnrolmentState.WAITING
    assert store.enrolments(finished)[0].steps_sent == 1  # until they confirm: then step 1


def test_confirming_starts_the_wished_programme_from_step_one_that_day(
    store: SqlStore, settings: Settings, feet: Programme
) -> None:
    ann = add_subscriber(store, "ann@example.com", "pending", NOW)
    bob = add_subscriber(store, "bob@example.com", "pending", NOW)
    store.wish_programme(ann.id, feet.key, NOW)
    store.wish_programme(ann.id, "gone-from-the-file", NOW)
    friday = NOW + timedelta(days=2)
    store.set_subscriber_state(ann.id, SubscriberState.ACTIVE, friday)

    started = start_wished(settings.newsletter, store, ann.id, [feet], friday)

    assert started == [feet]
    assert start_wished(settings.newsletter, store, bob.id, [feet], friday) == []
    by_key = {e.programme: e for e in store.enrolments(ann.id)}
    joined = by_key[feet.key]
    assert (joined.state, joined.steps_sent) == (EnrolmentState.ACTIVE, 0)
    assert joined.due_on == "2026-11-27"
    assert joined.joined_at == friday
    assert by_key["gone-from-the-file"].state == EnrolmentState.WAITING
    assert start_wished(settings.newsletter, store, ann.id, [feet], friday) == []  # once
    assert store.readers_due(feet.key, 1, "2026-11-27", friday, nothing_sent("2026-11-27")) == 1
    assert store.programme_counts(feet.key) == ProgrammeCounts(feet.key, {0: 1})


def test_a_button_acts_once_from_the_place_it_was_shown_for(
    store: SqlStore, settings: Settings, feet: Programme
) -> None:
    ann = add_subscriber(store, "ann@example.com", "active", NOW)
    [shown] = places(store, ann.id, [feet], NOW, MONDAY_7, LONDON)
    assert (shown.where, shown.seen, shown.next_day) == ("none", "none-0", None)

    assert act(settings.newsletter, store, ann.id, feet, "join", shown.seen, NOW)
    assert not act(settings.newsletter, store, ann.id, feet, "join", shown.seen, NOW)  # sent twice
    [now_in] = places(store, ann.id, [feet], NOW, MONDAY_7, LONDON)
    assert (now_in.where, now_in.next_day) == ("active", date(2026, 11, 25))
    assert not act(
        settings.newsletter, store, ann.id, feet, "restart", now_in.seen, NOW
    )  # not offered
    assert act(settings.newsletter, store, ann.id, feet, "leave", now_in.seen, NOW)
    [gone] = places(store, ann.id, [feet], NOW, MONDAY_7, LONDON)
    assert (gone.where, gone.actions) == ("left", ("join",))


def _email() -> StepEmail:
    return StepEmail("Step", "<p>Step</p>", "Step")
