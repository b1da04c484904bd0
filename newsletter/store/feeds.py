"""Feeds, entries and runs: what collecting writes and `status` reads."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from newsletter.config import FeedConfig
from newsletter.store.base import SqlBase
from newsletter.store.models import Entry, Feed, Run
from newsletter.store.types import FeedState, NewEntry, RunRecord, SaveCounts

CHUNK = 500  # keys per IN (...) query: well under every backend's parameter limit
FEED_STATE_FIELDS = [f.name for f in dataclasses.fields(FeedState)]


class FeedsSql(SqlBase):
    """Feeds, their fetch state, entries, and runs."""

    # feeds

    def sync_feeds(self, feeds: Sequence[FeedConfig], now: datetime) -> list[FeedState]:
        with self._session() as session:
            rows = {row.key: row for row in session.scalars(select(Feed))}
            for feed in feeds:
                row = rows.get(feed.key)
                if row is None:
                    row = Feed(key=feed.key, url=feed.url, created_at=now, consecutive_failures=0)
                    session.add(row)
                    rows[feed.key] = row
                row.name, row.kind = feed.name, feed.kind
                row.path = str(feed.path) if feed.path else None
            session.flush()
            return [_feed_state(rows[feed.key]) for feed in feeds]

    def feed_states(self) -> list[FeedState]:
        with self._session() as session:
            return [_feed_state(row) for row in session.scalars(select(Feed).order_by(Feed.id))]

    def save_feed_state(self, state: FeedState) -> None:
        values = {name: getattr(state, name) for name in FEED_STATE_FIELDS if name != "id"}
        with self._session() as session:
            session.execute(update(Feed).where(Feed.id == state.id).values(**values))

    # entries

    def save_entries(
        self, feed_id: int | None, entries: Sequence[NewEntry], now: datetime
    ) -> SaveCounts:
        """Insert new entries, update edited ones in place (first-seen time kept)."""
        new = updated = unchanged = 0
        with self._session() as session:
            for start in range(0, len(entries), CHUNK):
                chunk = entries[start : start + CHUNK]
                existing = _existing(session, [e.key for e in chunk])
                fresh = [e for e in chunk if e.key not in existing]
                edited = [
                    e for e in chunk if e.key in existing and _edited(e, feed_id, existing[e.key])
                ]
                new += _insert(session, feed_id, fresh, now)
                for entry in edited:
                    session.execute(_update_statement(existing[entry.key][0], entry, now))
                updated += len(edited)
                unchanged += len(chunk) - len(fresh) - len(edited)
        return SaveCounts(new=new, updated=updated, unchanged=unchanged)

    def entry_count(self, kind: str | None = None) -> int:
        query = select(func.count()).select_from(Entry)
        if kind is not None:
            query = query.where(Entry.kind == kind)
        with self._session() as session:
            return int(session.scalar(query) or 0)

    # runs

    def start_run(self, command: str, now: datetime) -> int:
        with self._session() as session:
            run = Run(command=command, started_at=now)
            session.add(run)
            session.flush()
            return run.id

    def finish_run(self, run_id: int, now: datetime, report: dict[str, Any]) -> None:
        with self._session() as session:
            session.execute(
                update(Run)
                .where(Run.id == run_id)
                .values(finished_at=now, report=json.dumps(report, default=str))
            )

    def last_run(self) -> RunRecord | None:
        with self._session() as session:
            run = session.scalars(select(Run).order_by(Run.id.desc()).limit(1)).first()
            if run is None:
                return None
            report = json.loads(run.report) if run.report else None
            return RunRecord(run.id, run.command, run.started_at, run.finished_at, report)


def _feed_state(row: Feed) -> FeedState:
    return FeedState(**{name: getattr(row, name) for name in FEED_STATE_FIELDS})


Existing = tuple[int, str, int | None]  # id, content hash, owning feed


def _existing(session: Session, keys: list[str]) -> dict[str, Existing]:
    query = select(Entry.key, Entry.id, Entry.content_hash, Entry.feed_id)
    rows = session.execute(query.where(Entry.key.in_(keys)))
    return {key: (entry_id, content_hash, owner) for key, entry_id, content_hash, owner in rows}


def _edited(entry: NewEntry, feed_id: int | None, existing: Existing) -> bool:
    """Only the feed that first stored an entry edits it: the same article carried by two
    feeds in slightly different forms would otherwise flip between them on every change."""
    _, content_hash, owner = existing
    return entry.content_hash != content_hash and (owner is None or owner == feed_id)


def _insert(session: Session, feed_id: int | None, entries: list[NewEntry], now: datetime) -> int:
    if not entries:
        return 0
    rows = [
        {
            **{f.name: getattr(e, f.name) for f in dataclasses.fields(NewEntry)},
            "published_at": e.published_at or now,
            "feed_id": feed_id,
            "first_seen_at": now,
            "changed_at": now,
        }
        for e in entries
    ]
    # ON CONFLICT DO NOTHING: another collector (another machine, on PostgreSQL) may have
    # stored the same entry since we looked; theirs stands and ours is an edit next time.
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(Entry).on_conflict_do_nothing(index_elements=["key"])
    # RETURNING counts the rows really inserted; an executemany's rowcount does not.
    inserted = session.execute(statement.returning(Entry.id), rows).all()
    return len(inserted)


def _update_statement(entry_id: int, entry: NewEntry, now: datetime) -> Any:
    values: dict[str, Any] = {
        "title": entry.title,
        "guid": entry.guid,
        "link": entry.link,
        "summary_html": entry.summary_html,
        "content_html": entry.content_html,
        "author": entry.author,
        "updated_at": entry.updated_at,
        "content_hash": entry.content_hash,
        "changed_at": now,
    }
    if entry.published_at is not None:  # an undated entry keeps its first-seen date
        values["published_at"] = entry.published_at
    return update(Entry).where(Entry.id == entry_id).values(**values)
