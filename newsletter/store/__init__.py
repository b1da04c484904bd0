"""The store: the only part of newsletter that talks to the database.

Everything else uses the :class:`Store` protocol below and the plain values of
``store.types``; no ORM object leaves this package.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from newsletter.config import FeedConfig, Settings
from newsletter.store.engine import ensure_schema, make_engine, upgrade
from newsletter.store.sql import SqlStore
from newsletter.store.types import FeedState, NewEntry, RunRecord, SaveCounts

__all__ = [
    "FeedState",
    "NewEntry",
    "RunRecord",
    "SaveCounts",
    "SqlStore",
    "Store",
    "open_store",
    "upgrade_database",
]


class Store(Protocol):
    """What the rest of newsletter may ask of the database.

    Every method is one transaction. Times are timezone-aware UTC. Errors are
    :class:`newsletter.errors.StoreError` with a one-sentence message.
    """

    def sync_feeds(self, feeds: Sequence[FeedConfig], now: datetime) -> list[FeedState]:
        """Create rows for newly configured feeds, refresh names and kinds, and return
        the states of the configured feeds in config order. Feeds no longer configured
        keep their rows (and their entries) but are not returned."""
        ...

    def feed_states(self) -> list[FeedState]:
        """Every feed the store knows, configured or not, oldest first."""
        ...

    def save_feed_state(self, state: FeedState) -> None:
        """Write a feed's validators and health, as decided by ``collect``."""
        ...

    def save_entries(
        self, feed_id: int | None, entries: Sequence[NewEntry], now: datetime
    ) -> SaveCounts:
        """Store entries by key: new ones are inserted with first-seen ``now``; ones whose
        content hash changed are updated in place and keep their first-seen time; the
        same key from another feed is the same entry (stored once)."""
        ...

    def entry_count(self, kind: str | None = None) -> int: ...

    def start_run(self, command: str, now: datetime) -> int: ...

    def finish_run(self, run_id: int, now: datetime, report: dict[str, Any]) -> None: ...

    def last_run(self) -> RunRecord | None: ...

    def close(self) -> None: ...


def open_store(settings: Settings) -> SqlStore:
    """Open the configured database. The embedded SQLite default is migrated on the spot;
    a server database must be at the current schema (`newsletter db upgrade`)."""
    url = settings.env.database_url
    engine = make_engine(url)
    try:
        ensure_schema(engine, auto_upgrade=url.startswith("sqlite"))
    except BaseException:
        engine.dispose()
        raise
    return SqlStore(engine)


def upgrade_database(settings: Settings) -> tuple[str | None, str | None]:
    engine = make_engine(settings.env.database_url)
    try:
        return upgrade(engine)
    finally:
        engine.dispose()
