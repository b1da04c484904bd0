"""What the archive's web pages read beyond the digests' list: the entries each digest
carried, and which digest featured which exercise (for the exercises' own pages and the
home page)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from newsletter.store.base import SqlBase, record
from newsletter.store.digests import DigestEntry, DigestSummary
from newsletter.store.digests import _entry as digest_entry
from newsletter.store.exercises import ExerciseRecord
from newsletter.store.models import Digest, DigestItem, Entry, Exercise, Feed


@dataclass(frozen=True)
class ArchivedDigest:
    """A digest as its archive page shows it."""

    summary: DigestSummary
    exercise: ExerciseRecord | None
    entries: tuple[DigestEntry, ...]  # in the order the digest showed them
    note: str | None = None  # the editor's note it carried (Markdown)


@dataclass(frozen=True)
class Feature:
    """A built digest's week and the exercise it featured."""

    week: str
    exercise_id: int


class ArchiveSql(SqlBase):
    """The archive's reads that span digests, their items, entries and exercises."""

    def archived_digest(self, week: str) -> ArchivedDigest | None:
        """The digest of ``week`` with its exercise and its entries, or None."""
        with self._session() as session:
            digest = session.scalars(select(Digest).where(Digest.week == week)).first()
            if digest is None:
                return None
            exercise = session.get(Exercise, digest.exercise_id) if digest.exercise_id else None
            query = (
                select(Entry, Feed.name)
                .join(DigestItem, DigestItem.entry_id == Entry.id)
                .outerjoin(Feed, Entry.feed_id == Feed.id)
                .where(DigestItem.digest_id == digest.id)
                .order_by(DigestItem.position)
            )
            entries = tuple(digest_entry(row, name) for row, name in session.execute(query))
            summary = DigestSummary(
                digest.week,
                digest.subject,
                digest.built_at,
                digest.period_start,
                digest.period_end,
                digest.item_count,
                exercise.name if exercise else None,
                exercise.slug if exercise else None,
            )
            return ArchivedDigest(
                summary,
                record(ExerciseRecord, exercise) if exercise else None,
                entries,
                note=digest.note,
            )

    def features(self) -> list[Feature]:
        """The exercise of every built digest, oldest week first."""
        query = (
            select(Digest.week, Digest.exercise_id)
            .where(Digest.exercise_id.is_not(None))
            .order_by(Digest.week)
        )
        with self._session() as session:
            rows = session.execute(query)
            return [Feature(week, exercise_id) for week, exercise_id in rows if exercise_id]
