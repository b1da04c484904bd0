"""Collect rounds and feed leases (PostgreSQL): collectors on several machines share a round.

A round is a row of ``collect_rounds``. A collector joins the newest round while it is
open, else starts the next one, and claims due feeds a few at a time: a claim is a lease
(``lease_owner``, ``lease_until``) taken with ``SELECT … FOR UPDATE SKIP LOCKED``, so no
two collectors hold one feed. Recording a feed's result sets its ``round_id`` and clears
the lease (``FeedsSql.save_feed_state``); a collector that dies leaves leases that simply
run out, and the others then claim those feeds. SQLite has no rounds: one collector at a
time, under the file lock, as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, exists, func, insert, or_, select, text, update

from newsletter.store.base import SqlBase
from newsletter.store.feeds import FEED_STATE_FIELDS, FeedState, feed_kind
from newsletter.store.locks import advisory_key
from newsletter.store.models import CollectRound, Feed


@dataclass(frozen=True)
class RoundInfo:
    """A round as stored: what `status`, the tests and the benchmark read."""

    id: int
    started_at: datetime
    finished_at: datetime | None
    collectors: int


def round_is_open(
    info: RoundInfo | None, live_lease: bool, now: datetime, lease: timedelta
) -> bool:
    """Whether a newcomer joins this round rather than starting the next. A round nobody
    works on any more (no live lease, started over a lease ago) was left by collectors
    that died: it is closed, and its unfetched feeds are fetched in the next round."""
    if info is None or info.finished_at is not None:
        return False
    return live_lease or now - info.started_at < lease


class LeasesSql(SqlBase):
    """Rounds and leases; every method but ``join_round`` is for PostgreSQL only."""

    def join_round(self, now: datetime, lease: timedelta) -> int | None:
        """The id of the round this collector works in (joined or started), or None on a
        database without rounds (SQLite: the only collector, under the file lock)."""
        if self.dialect != "postgresql":
            return None
        with self._core() as connection:
            # Two collectors starting at once must not both start a round.
            connection.execute(text(f"SELECT pg_advisory_xact_lock({advisory_key('round')})"))
            newest = _newest_round(connection)
            if newest is not None and round_is_open(newest, _live(connection, now), now, lease):
                _count_collector(connection, newest.id)
                return newest.id
            if newest is not None and newest.finished_at is None:
                _finish(connection, newest.id, now)
            start = insert(CollectRound).values(started_at=now, collectors=1)
            return int(connection.execute(start.returning(CollectRound.id)).scalar_one())

    def database_now(self) -> datetime | None:
        """The database server's clock (PostgreSQL), by which every collector sharing a
        round reckons its leases whatever its own machine's clock says; None without
        rounds (SQLite)."""
        if self.dialect != "postgresql":
            return None
        with self._core() as connection:
            now: datetime = connection.execute(select(func.clock_timestamp())).scalar_one()
        return now

    def latest_round(self) -> RoundInfo | None:
        with self._core() as connection:
            return _newest_round(connection)

    def claim_feeds(
        self,
        round_id: int,
        owner: str,
        feed_ids: Sequence[int],
        now: datetime,
        lease: timedelta,
        limit: int,
    ) -> list[FeedState]:
        """Lease up to ``limit`` of ``feed_ids`` not yet fetched in this round and not
        leased by anyone (an expired lease counts as none, except this owner's own: it is
        still working on those). Returns their current states, in id order."""
        free = (
            select(Feed.id)
            .where(
                Feed.id.in_(feed_ids),
                or_(Feed.round_id.is_(None), Feed.round_id < round_id),
                or_(Feed.lease_until.is_(None), Feed.lease_until <= now),
                or_(Feed.lease_owner.is_(None), Feed.lease_owner != owner),
            )
            .order_by(Feed.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        claim = (
            update(Feed)
            .where(Feed.id.in_(free.scalar_subquery()))
            .values(lease_owner=owner, lease_until=now + lease)
            .returning(*[getattr(Feed, name) for name in FEED_STATE_FIELDS])
        )
        with self._core() as connection:
            rows = connection.execute(claim).mappings().all()
        states = [FeedState(**{**row, "kind": feed_kind(row["kind"])}) for row in rows]
        return sorted(states, key=lambda state: state.id)

    def renew_leases(self, owner: str, until: datetime) -> int:
        """Extend every lease ``owner`` holds; returns how many it holds."""
        renew = update(Feed).where(Feed.lease_owner == owner).values(lease_until=until)
        with self._core() as connection:
            return int(connection.execute(renew).rowcount)

    def release_leases(self, owner: str) -> None:
        """Give back, unfetched, every feed ``owner`` still holds (a collector that stops
        early): the others may claim them at once instead of after the lease."""
        release = (
            update(Feed).where(Feed.lease_owner == owner).values(lease_owner=None, lease_until=None)
        )
        with self._core() as connection:
            connection.execute(release)

    def others_lease_until(self, owner: str, now: datetime) -> datetime | None:
        """When the first live lease of another collector runs out; None when none is left.
        A lease is live while ``now`` is before its end; from its end on it may be claimed."""
        query = select(func.min(Feed.lease_until)).where(
            Feed.lease_owner.is_not(None), Feed.lease_owner != owner, Feed.lease_until > now
        )
        with self._core() as connection:
            return connection.scalar(query)

    def finish_round(self, round_id: int, now: datetime) -> bool:
        """Mark the round finished unless some collector still holds a live lease; True
        when it is finished (by this call or an earlier one)."""
        with self._core() as connection:
            if _live(connection, now):
                return False
            _finish(connection, round_id, now)
            return True


def _newest_round(connection: Connection) -> RoundInfo | None:
    query = select(CollectRound).order_by(CollectRound.id.desc()).limit(1)
    row = connection.execute(query).mappings().first()
    return None if row is None else RoundInfo(**row)


def _live(connection: Connection, now: datetime) -> bool:
    live = exists().where(Feed.lease_owner.is_not(None), Feed.lease_until > now)
    return bool(connection.scalar(select(live)))


def _count_collector(connection: Connection, round_id: int) -> None:
    count = (
        update(CollectRound)
        .where(CollectRound.id == round_id)
        .values(collectors=CollectRound.collectors + 1)
    )
    connection.execute(count)


def _finish(connection: Connection, round_id: int, now: datetime) -> None:
    finish = (
        update(CollectRound)
        .where(CollectRound.id == round_id, CollectRound.finished_at.is_(None))
        .values(finished_at=now)
    )
    connection.execute(finish)
