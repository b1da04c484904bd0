"""What collecting asks of the database (implemented by :class:`newsletter.store.SqlStore`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from newsletter.config import FeedConfig
from newsletter.store.entries import NewEntry, SaveCounts
from newsletter.store.feeds import FeedState, HeldLease


class RoundStore(Protocol):
    """Rounds shared by the collectors of several machines, and their feed leases. A lease
    is live while ``now`` is before its end; an ``owner`` is one collector process."""

    def database_now(self) -> datetime | None:
        """The database's clock, by which leases are reckoned; None: no rounds (SQLite)."""
        ...

    def join_round(self, now: datetime, lease: timedelta) -> int | None:
        """Join the newest round while it is open, else start the next one; its id. None:
        this database has no rounds (SQLite: one collector at a time, all feeds its own)."""
        ...

    def claim_feeds(
        self,
        round_id: int,
        owner: str,
        feed_ids: Sequence[int],
        now: datetime,
        lease: timedelta,
        limit: int,
    ) -> list[FeedState]:
        """Lease up to ``limit`` of ``feed_ids`` that this round has not fetched and nobody
        else holds (``SKIP LOCKED``: two collectors never get the same feed); their
        current states, in id order."""
        ...

    def renew_leases(self, owner: str, until: datetime) -> int:
        """Move the end of every lease ``owner`` holds to ``until``; how many it holds."""
        ...

    def release_leases(self, owner: str) -> None:
        """Give back, unfetched, the feeds ``owner`` still holds."""
        ...

    def others_lease_until(self, owner: str, now: datetime) -> datetime | None:
        """The end of the first live lease held by another owner, or None."""
        ...

    def finish_round(self, round_id: int, now: datetime) -> bool:
        """Mark the round finished unless a live lease remains; whether it is finished."""
        ...


class CollectStore(RoundStore, Protocol):
    """Every method is one transaction. Times are timezone-aware UTC. Errors are
    :class:`newsletter.errors.StoreError` with a one-sentence message."""

    def sync_feeds(self, feeds: Sequence[FeedConfig], now: datetime) -> list[FeedState]:
        """Create rows for newly configured feeds, refresh names and kinds, and return
        the states of the configured feeds in config order. Feeds no longer configured
        keep their rows (and their entries) but are not returned."""
        ...

    def save_feed_state(
        self, state: FeedState, round_id: int | None = None, lease: HeldLease | None = None
    ) -> bool:
        """Write a feed's validators and health, as decided by ``collect``; with a
        ``round_id``, the feed is done for that round and its lease ends. With a ``lease``,
        only while that lease is still held; whether it was written."""
        ...

    def save_feed_states(
        self,
        states: Sequence[FeedState],
        round_id: int | None = None,
        lease: HeldLease | None = None,
    ) -> None:
        """``save_feed_state`` for many feeds in one transaction (the unchanged ones)."""
        ...

    def lease_held(self, feed_id: int, lease: HeldLease) -> bool:
        """Whether ``lease.owner`` still holds the feed's lease at ``lease.now``."""
        ...

    def save_entries(
        self, feed_id: int | None, entries: Sequence[NewEntry], now: datetime
    ) -> SaveCounts:
        """Store entries by key: new ones are inserted with first-seen ``now``; ones whose
        content hash changed are updated in place and keep their first-seen time; the
        same key from another feed is the same entry (stored once)."""
        ...
