"""What collecting asks of the database (implemented by :class:`newsletter.store.SqlStore`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from newsletter.config import FeedConfig
from newsletter.store.entries import NewEntry, SaveCounts
from newsletter.store.feeds import FeedState


class CollectStore(Protocol):
    """Every method is one transaction. Times are timezone-aware UTC. Errors are
    :class:`newsletter.errors.StoreError` with a one-sentence message."""

    def sync_feeds(self, feeds: Sequence[FeedConfig], now: datetime) -> list[FeedState]:
        """Create rows for newly configured feeds, refresh names and kinds, and return
        the states of the configured feeds in config order. Feeds no longer configured
        keep their rows (and their entries) but are not returned."""
        ...

    def save_feed_state(self, state: FeedState) -> None:
        """Write a feed's validators and health, as decided by ``collect``."""
        ...

    def save_feed_states(self, states: Sequence[FeedState]) -> None:
        """``save_feed_state`` for many feeds in one transaction (the unchanged ones)."""
        ...

    def save_entries(
        self, feed_id: int | None, entries: Sequence[NewEntry], now: datetime
    ) -> SaveCounts:
        """Store entries by key: new ones are inserted with first-seen ``now``; ones whose
        content hash changed are updated in place and keep their first-seen time; the
        same key from another feed is the same entry (stored once)."""
        ...
