"""Collect rounds and feed leases: the claim SQL on PostgreSQL; SQLite has no rounds."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from newsletter.store import SqlStore
from newsletter.store.engine import make_engine
from newsletter.store.leases import RoundInfo, round_is_open
from tests.support.feeds import url_feeds

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
LEASE = timedelta(minutes=3)
FEEDS = url_feeds(6)


def _postgres_only(store: SqlStore) -> None:
    if store.dialect != "postgresql":
        pytest.skip("rounds and leases are PostgreSQL's; on SQLite one collector runs alone")


def test_sqlite_has_no_rounds(store: SqlStore) -> None:
    if store.dialect != "sqlite":
        pytest.skip("the SQLite half")
    assert store.join_round(NOW, LEASE) is None
    assert store.latest_round() is None


def test_two_collectors_never_claim_the_same_feed(store: SqlStore, database_url: str) -> None:
    _postgres_only(store)
    ids = [s.id for s in store.sync_feeds(FEEDS, NOW)]
    round_id = store.join_round(NOW, LEASE)
    assert round_id is not None and store.join_round(NOW, LEASE) == round_id
    other = SqlStore(make_engine(database_url))
    try:
        first = store.claim_feeds(round_id, "a", ids, NOW, LEASE, limit=4)
        second = other.claim_feeds(round_id, "b", ids, NOW, LEASE, limit=4)
    finally:
        other.close()
    assert [s.id for s in first] == ids[:4]
    assert [s.id for s in second] == ids[4:]
    assert store.claim_feeds(round_id, "c", ids, NOW, LEASE, limit=4) == []
    assert store.others_lease_until("c", NOW) == NOW + LEASE
    info = store.latest_round()
    assert info is not None and (info.id, info.collectors, info.finished_at) == (round_id, 2, None)


def test_a_recorded_feed_is_done_for_the_round_and_an_expired_lease_is_claimed_again(
    store: SqlStore,
) -> None:
    _postgres_only(store)
    ids = [s.id for s in store.sync_feeds(FEEDS[:2], NOW)]
    round_id = store.join_round(NOW, LEASE)
    assert round_id is not None
    done, dead = store.claim_feeds(round_id, "a", ids, NOW, LEASE, limit=2)
    store.save_feed_state(dataclasses.replace(done, etag='"v1"'), round_id)
    assert store.finish_round(round_id, NOW) is False  # the dead one's lease still runs
    # Its owner's own expired lease is not taken back by that owner (it is still working).
    assert store.claim_feeds(round_id, "a", ids, NOW + LEASE, LEASE, limit=5) == []
    later = NOW + LEASE
    (taken,) = store.claim_feeds(round_id, "b", ids, later, LEASE, limit=5)
    assert taken.id == dead.id
    store.save_feed_states([taken], round_id)
    assert store.others_lease_until("c", later) is None
    assert store.finish_round(round_id, later) is True
    next_round = store.join_round(later, LEASE)
    assert next_round is not None and next_round > round_id
    again = store.claim_feeds(next_round, "c", ids, later, LEASE, limit=5)
    assert [s.id for s in again] == ids and again[0].etag == '"v1"'


def test_a_released_lease_is_claimable_at_once_and_renewal_moves_only_its_owners(
    store: SqlStore,
) -> None:
    _postgres_only(store)
    ids = [s.id for s in store.sync_feeds(FEEDS[:3], NOW)]
    round_id = store.join_round(NOW, LEASE)
    assert round_id is not None
    store.claim_feeds(round_id, "a", ids[:2], NOW, LEASE, limit=5)
    store.claim_feeds(round_id, "b", ids[2:], NOW, LEASE, limit=5)
    assert store.renew_leases("a", NOW + 2 * LEASE) == 2
    assert store.others_lease_until("a", NOW) == NOW + LEASE  # b's, not moved
    assert store.others_lease_until("b", NOW) == NOW + 2 * LEASE
    store.release_leases("a")
    assert [s.id for s in store.claim_feeds(round_id, "c", ids, NOW, LEASE, limit=5)] == ids[:2]


def test_a_round_left_by_dead_collectors_is_closed_and_the_next_one_starts(
    store: SqlStore,
) -> None:
    _postgres_only(store)
    ids = [s.id for s in store.sync_feeds(FEEDS[:1], NOW)]
    first = store.join_round(NOW, LEASE)
    assert first is not None
    store.claim_feeds(first, "dead", ids, NOW, LEASE, limit=5)
    assert store.join_round(NOW + LEASE / 2, LEASE) == first  # its lease still runs
    second = store.join_round(NOW + LEASE, LEASE)
    assert second is not None and second != first
    info = store.latest_round()
    assert info is not None and info.id == second and info.collectors == 1


def test_round_is_open() -> None:
    fresh = RoundInfo(id=1, started_at=NOW, finished_at=None, collectors=1)
    assert round_is_open(fresh, live_lease=False, now=NOW + LEASE / 2, lease=LEASE)
    assert not round_is_open(fresh, live_lease=False, now=NOW + LEASE, lease=LEASE)
    assert round_is_open(fresh, live_lease=True, now=NOW + 10 * LEASE, lease=LEASE)
    done = dataclasses.replace(fresh, finished_at=NOW)
    assert not round_is_open(done, live_lease=True, now=NOW, lease=LEASE)
    assert not round_is_open(None, live_lease=True, now=NOW, lease=LEASE)
