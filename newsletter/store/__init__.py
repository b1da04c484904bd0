"""The store: the only part of newsletter that talks to the database.

Each table family has its module (``feeds``, ``entries``, ``runs``, ``exercises``,
``digests``, ``subscribers``, ``deliveries``, ``questions``) holding its SQL mixin and the
plain values and state enums that cross the boundary; no ORM object leaves this package.
:class:`SqlStore` composes the mixins, and callers take it as it is (there is one
implementation, and no test substitutes another): each method is one transaction, times are
timezone-aware UTC, errors are :class:`newsletter.errors.StoreError` with a one-sentence
message.
"""

from __future__ import annotations

from newsletter.store.engine import ensure_schema, make_engine, upgrade
from newsletter.store.entries import NewEntry, SaveCounts
from newsletter.store.feeds import FeedState
from newsletter.store.runs import RunRecord
from newsletter.store.sql import SqlStore

__all__ = [
    "FeedState",
    "NewEntry",
    "RunRecord",
    "SaveCounts",
    "SqlStore",
    "open_store",
    "upgrade_database",
]


def open_store(url: str) -> SqlStore:
    """Open the database at ``url`` (NEWSLETTER_DATABASE_URL). The embedded SQLite default
    is migrated on the spot; a server database must be at the current schema
    (`newsletter db upgrade`)."""
    engine = make_engine(url)
    try:
        ensure_schema(engine, auto_upgrade=url.startswith("sqlite"))
    except BaseException:
        engine.dispose()
        raise
    return SqlStore(engine)


def upgrade_database(url: str) -> tuple[str | None, str | None]:
    engine = make_engine(url)
    try:
        return upgrade(engine)
    finally:
        engine.dispose()
