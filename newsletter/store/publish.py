"""What publishing reads: the latest approved entries, and the digests for the archive."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import select

from newsletter.store.base import SqlBase
from newsletter.store.models import Digest, Entry, Exercise, Feed

PUBLISHED_KINDS = ("article", "question")


@dataclass(frozen=True)
class PublishedEntry:
    """An approved article or question as the feeds show it (never its author's email)."""

    id: int
    key: str
    kind: str  # article | question
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


@dataclass(frozen=True)
class DigestSummary:
    """One line of the archive index."""

    week: str  # 2026-W48
    subject: str
    built_at: datetime
    period_start: datetime
    period_end: datetime
    item_count: int
    exercise_name: str | None


@dataclass(frozen=True)
class StoredDigest:
    """A digest as built, for its archive page."""

    summary: DigestSummary
    html: str
    text: str


class PublishStore(Protocol):
    """What ``newsletter.publish`` and the web app's feed and archive routes read.

    Every method is one read-only transaction; times are timezone-aware UTC.
    """

    def latest_entries(self, limit: int) -> list[PublishedEntry]:
        """The ``limit`` newest approved articles and questions, newest first (by
        ``published_at``, then by id), each with the name and URL of its feed."""
        ...

    def digest_summaries(self) -> list[DigestSummary]:
        """Every digest built so far, newest week first, with its exercise's name."""
        ...

    def get_digest(self, week: str) -> StoredDigest | None:
        """The digest of ``week`` (``YYYY-Www``), or None when none was built."""
        ...


# PublishedEntry's fields, but for the feed's name and URL.
_ENTRY_COLUMNS = (
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
)
_SUMMARY_COLUMNS = (
    Digest.week,
    Digest.subject,
    Digest.built_at,
    Digest.period_start,
    Digest.period_end,
    Digest.item_count,
    Exercise.name,
)


class PublishSql(SqlBase):
    """Implements :class:`PublishStore`."""

    def latest_entries(self, limit: int) -> list[PublishedEntry]:
        # Columns, not ORM objects: a third of the time on a large feed.
        query = (
            select(*_ENTRY_COLUMNS, Feed.name.label("feed_name"), Feed.url.label("feed_url"))
            .outerjoin(Feed, Entry.feed_id == Feed.id)
            .where(Entry.kind.in_(PUBLISHED_KINDS), Entry.status == "approved")
            .order_by(Entry.published_at.desc(), Entry.id.desc())
            .limit(limit)
        )
        with self._session() as session:
            return [PublishedEntry(**row._asdict()) for row in session.execute(query)]

    def digest_summaries(self) -> list[DigestSummary]:
        query = (
            select(*_SUMMARY_COLUMNS)
            .outerjoin(Exercise, Digest.exercise_id == Exercise.id)
            .order_by(Digest.week.desc())
        )
        with self._session() as session:
            return [DigestSummary(*row) for row in session.execute(query)]

    def get_digest(self, week: str) -> StoredDigest | None:
        query = (
            select(*_SUMMARY_COLUMNS, Digest.html, Digest.text)
            .outerjoin(Exercise, Digest.exercise_id == Exercise.id)
            .where(Digest.week == week)
        )
        with self._session() as session:
            row = session.execute(query).first()
        if row is None:
            return None
        summary = DigestSummary(row[0], row[1], row[2], row[3], row[4], row[5], row[6])
        return StoredDigest(summary, html=row.html, text=row.text)
