"""Feeds: the configured sources, their validators and health (what collecting decides and
`status` reads)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, delete, func, select, text, update

from newsletter.config import FeedConfig
from newsletter.sources.types import Kind
from newsletter.store.base import SqlBase
from newsletter.store.bounds import fit
from newsletter.store.locks import advisory_key
from newsletter.store.models import Entry, Feed


def feed_kind(value: str) -> Kind:
    """A stored kind as the one ``Kind`` of feeds.yaml, the sources and the store."""
    return "questions" if value == "questions" else "articles"


@dataclass(frozen=True)
class FeedState:
    """A configured feed as the store knows it: identity, validators and health."""

    id: int
    key: str
    name: str
    kind: Kind  # what the feed carries (``kind:`` in feeds.yaml)
    url: str | None
    path: str | None
    title: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    last_attempt_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    last_warning: str | None = None
    consecutive_failures: int = 0
    next_attempt_at: datetime | None = None
    gone_at: datetime | None = None

    @property
    def gone(self) -> bool:
        return self.gone_at is not None


FEED_STATE_FIELDS = [f.name for f in dataclasses.fields(FeedState)]


def split_retired(
    states: Sequence[FeedState], feeds: Sequence[FeedConfig]
) -> tuple[list[FeedState], list[FeedState]]:
    """(the feeds of feeds.yaml, the retired ones): a feed the store knows that feeds.yaml
    no longer lists is not fetched, and its entries are kept."""
    keys = {feed.key for feed in feeds}
    current = [state for state in states if state.key in keys]
    return current, [state for state in states if state.key not in keys]


@dataclass(frozen=True)
class HeldLease:
    """A result is recorded only while its collector still holds the feed's lease at
    ``now`` (the database's time): one paused past its lease must not overwrite what the
    collector that took the feed over recorded."""

    owner: str
    now: datetime


class FeedsSql(SqlBase):
    """Feeds and their fetch state."""

    def sync_feeds(self, feeds: Sequence[FeedConfig], now: datetime) -> list[FeedState]:
        """Create rows for newly configured feeds, refresh names and kinds, and return
        the states of the configured feeds in config order. Feeds no longer configured
        keep their rows (and their entries) but are not returned."""
        with self._session() as session:
            if self.dialect == "postgresql":
                # Collectors on several machines may add the same new feeds at once.
                session.execute(text(f"SELECT pg_advisory_xact_lock({advisory_key('feeds')})"))
            rows = {row.key: row for row in session.scalars(select(Feed))}
            for feed in feeds:
                row = rows.get(feed.key)
                if row is None:
                    row = Feed(key=feed.key, url=feed.url, created_at=now, consecutive_failures=0)
                    session.add(row)
                    rows[feed.key] = row
                named = fit(
                    Feed, {"name": feed.name, "path": str(feed.path) if feed.path else None}
                )
                row.name, row.kind, row.path = named["name"], feed.kind, named["path"]
            session.flush()
            return [_feed_state(rows[feed.key]) for feed in feeds]

    def site_started(self) -> datetime | None:
        """When the first feed was added (the site's first collect), if it ever was."""
        with self._session() as session:
            return session.scalar(select(func.min(Feed.created_at)))

    def forget_feeds(self, keys: Sequence[str]) -> list[str]:
        """Drop the feeds of ``keys`` (retired: no longer in feeds.yaml); their entries stay,
        without a feed. Returns the names of those dropped."""
        with self._session() as session:
            rows = list(session.scalars(select(Feed).where(Feed.key.in_(keys))))
            ids = [row.id for row in rows]
            if ids:
                session.execute(update(Entry).where(Entry.feed_id.in_(ids)).values(feed_id=None))
                session.execute(delete(Feed).where(Feed.id.in_(ids)))
            return [row.name for row in rows]

    def feed_states(self) -> list[FeedState]:
        return self._rows(select(Feed).order_by(Feed.id), _feed_state)

    def save_feed_state(
        self, state: FeedState, round_id: int | None = None, lease: HeldLease | None = None
    ) -> bool:
        """Write a feed's validators and health, as decided by ``collect``; with a
        ``round_id``, the feed is done for that round and its lease ends. With a ``lease``,
        only while that lease is still held; whether it was written."""
        values = {name: getattr(state, name) for name in FEED_STATE_FIELDS if name != "id"}
        values = fit(Feed, values) | _fetched_in(round_id)
        save = update(Feed).where(Feed.id == state.id, *_still_held(lease)).values(**values)
        with self._session() as session:
            return bool(session.execute(save).rowcount)  # type: ignore[attr-defined]

    def save_feed_states(
        self,
        states: Sequence[FeedState],
        round_id: int | None = None,
        lease: HeldLease | None = None,
    ) -> None:
        """``save_feed_state`` for many feeds in one transaction (the unchanged ones)."""
        if not states:
            return
        # In id order: collectors of other machines update the same rows, and the same
        # order everywhere keeps their transactions from deadlocking.
        rows = [
            {name: getattr(s, name) for name in FEED_STATE_FIELDS} | _fetched_in(round_id)
            for s in sorted(states, key=lambda state: state.id)
        ]
        with self._session() as session:
            # An ORM bulk UPDATE by primary key: one executemany, one commit for them all.
            # The lease condition is an extra WHERE on a bulk UPDATE by primary key, which
            # the ORM cannot mirror into loaded objects (none are loaded here).
            statement = update(Feed).where(*_still_held(lease))
            options = {"synchronize_session": None} if lease is not None else {}
            session.execute(statement, rows, execution_options=options)

    def lease_held(self, feed_id: int, lease: HeldLease) -> bool:
        """Whether ``lease.owner`` still holds the feed at ``lease.now``: asked before each
        fetch, so that a collector does not fetch a feed another one has taken over."""
        held = select(Feed.id).where(Feed.id == feed_id, *_still_held(lease))
        with self._session() as session:
            return session.scalar(held) is not None


def _still_held(lease: HeldLease | None) -> list[ColumnElement[bool]]:
    if lease is None:
        return []
    return [Feed.lease_owner == lease.owner, Feed.lease_until > lease.now]


def _fetched_in(round_id: int | None) -> dict[str, object]:
    """A feed recorded in a shared round is done for that round, and its lease is over."""
    if round_id is None:
        return {}
    return {"round_id": round_id, "lease_owner": None, "lease_until": None}


def _feed_state(row: Feed) -> FeedState:
    values = {name: getattr(row, name) for name in FEED_STATE_FIELDS}
    return FeedState(**{**values, "kind": feed_kind(row.kind)})
