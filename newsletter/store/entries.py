"""Entries: the articles and questions collected (or asked), saved by key and read back
for the feeds, the site and the digest."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from newsletter.store.base import SqlBase, dialect_insert
from newsletter.store.bounds import fit
from newsletter.store.models import Entry, Feed


class EntryKind(StrEnum):
    ARTICLE = "article"  # from a `kind: articles` feed
    QUESTION = "question"  # asked on the web, or from a `kind: questions` feed


class EntryStatus(StrEnum):
    """Whether an entry is published. Feed entries are approved as they arrive; a question
    asked on the web waits, pending, for a moderator (newsletter.questions)."""

    PENDING = "pending"  # waiting for a moderator
    APPROVED = "approved"  # in the feeds, the site and the next digest
    REJECTED = "rejected"  # in no feed and no digest


# Moderation may change its mind either way; nothing goes back to pending.
ENTRY_STATUS_TRANSITIONS: dict[EntryStatus, frozenset[EntryStatus]] = {
    EntryStatus.PENDING: frozenset({EntryStatus.APPROVED, EntryStatus.REJECTED}),
    EntryStatus.APPROVED: frozenset({EntryStatus.REJECTED}),
    EntryStatus.REJECTED: frozenset({EntryStatus.APPROVED}),
}

CHUNK = 500  # keys per IN (...) query: well under every backend's parameter limit
PUBLISHED_KINDS = (EntryKind.ARTICLE, EntryKind.QUESTION)


@dataclass(frozen=True)
class NewEntry:
    """An entry ready to store. ``published_at`` None means: use the first-seen time."""

    key: str
    kind: EntryKind
    status: EntryStatus
    title: str
    content_hash: str
    guid: str | None = None
    link: str | None = None
    summary_html: str = ""
    content_html: str = ""
    author: str | None = None
    published_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class SaveCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass(frozen=True)
class PublishedEntry:
    """An approved article or question as the feeds show it (never its author's email)."""

    id: int
    key: str
    kind: EntryKind
    guid: str | None
    link: str | None
    title: str
    summary_html: str
    content_html: str
    author: str | None
    published_at: datetime
    updated_at: datetime | None
    first_seen_at: datetime
    changed_at: datetime
    feed_name: str | None  # None: not from a feed (a question asked on the web)
    feed_url: str | None  # None: a local-file feed, or not from a feed
    answer_html: str | None = None  # a question's answer, published after it


# PublishedEntry's fields, but for the feed's name and URL.
ENTRY_COLUMNS = (
    Entry.id,
    Entry.key,
    Entry.kind,
    Entry.guid,
    Entry.link,
    Entry.title,
    Entry.summary_html,
    Entry.content_html,
    Entry.author,
    Entry.published_at,
    Entry.updated_at,
    Entry.first_seen_at,
    Entry.changed_at,
    Entry.answer_html,
)


class EntriesSql(SqlBase):
    """Saving entries, and reading the published ones."""

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

    def entry_count(self, kind: EntryKind | None = None) -> int:
        query = select(func.count()).select_from(Entry)
        if kind is not None:
            query = query.where(Entry.kind == kind)
        with self._session() as session:
            return int(session.scalar(query) or 0)

    def latest_entries(self, limit: int) -> list[PublishedEntry]:
        # Columns, not ORM objects: a third of the time on a large feed.
        """The ``limit`` newest approved articles and questions, newest first (by
        ``published_at``, then by id), each with the name and URL of its feed."""
        query = (
            select(*ENTRY_COLUMNS, Feed.name.label("feed_name"), Feed.url.label("feed_url"))
            .outerjoin(Feed, Entry.feed_id == Feed.id)
            .where(Entry.kind.in_(PUBLISHED_KINDS), Entry.status == EntryStatus.APPROVED)
            .order_by(Entry.published_at.desc(), Entry.id.desc())
            .limit(limit)
        )
        with self._session() as session:
            return [published(row) for row in session.execute(query)]

    def answered_questions(self, question_id: int | None = None) -> list[PublishedEntry]:
        """The approved questions that have an answer (each has a page of its own), newest
        answer first; or only the one with ``question_id``."""
        query = (
            select(*ENTRY_COLUMNS, Feed.name.label("feed_name"), Feed.url.label("feed_url"))
            .outerjoin(Feed, Entry.feed_id == Feed.id)
            .where(
                Entry.kind == EntryKind.QUESTION,
                Entry.status == EntryStatus.APPROVED,
                Entry.answer_html.is_not(None),
            )
            .order_by(Entry.answered_at.desc(), Entry.id.desc())
        )
        if question_id is not None:
            query = query.where(Entry.id == question_id)
        with self._session() as session:
            return [published(row) for row in session.execute(query)]


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
        fit(
            Entry,
            {
                **{f.name: getattr(e, f.name) for f in dataclasses.fields(NewEntry)},
                "published_at": e.published_at or now,
                "feed_id": feed_id,
                "first_seen_at": now,
                "changed_at": now,
            },
        )
        for e in entries
    ]
    # ON CONFLICT DO NOTHING: another collector (another machine, on PostgreSQL) may have
    # stored the same entry since we looked; theirs stands and ours is an edit next time.
    statement = dialect_insert(session, Entry).on_conflict_do_nothing(index_elements=["key"])
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
    return update(Entry).where(Entry.id == entry_id).values(**fit(Entry, values))


def published(row: Any) -> PublishedEntry:
    return PublishedEntry(**{**row._asdict(), "kind": EntryKind(row.kind)})
