"""Plain values of the weekly digest that cross the store's boundary (no ORM objects)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ExerciseData:
    """One exercise as the catalog file describes it."""

    slug: str
    name: str
    how: str
    strengthens: str
    equipment: str
    sitting: bool


@dataclass(frozen=True)
class ExerciseRecord:
    """An exercise as stored; ``active`` is False once it left the catalog file."""

    id: int
    slug: str
    position: int  # its place in the catalog file, from 0
    name: str
    how: str
    strengthens: str
    equipment: str
    sitting: bool
    active: bool


@dataclass(frozen=True)
class FeaturedWeek:
    """The exercise of one ISO week, chosen (or pinned) once."""

    week: str  # 2026-W48
    exercise_id: int
    pinned: bool
    chosen_at: datetime


@dataclass(frozen=True)
class DigestEntry:
    """An approved article or question that a digest may carry."""

    id: int
    kind: str  # article | question
    title: str  # plain text
    link: str | None
    summary_html: str  # sanitized at ingest
    content_html: str  # sanitized at ingest
    author: str | None
    published_at: datetime
    first_seen_at: datetime
    feed_name: str | None


@dataclass(frozen=True)
class CandidateWindow:
    """Which entries a digest may carry: approved ones in no digest yet, first seen before
    ``until``; articles first seen and published since the ``articles_`` times, questions
    first seen and published since the ``questions_`` times."""

    until: datetime
    articles_since: datetime
    articles_published_since: datetime
    questions_since: datetime
    questions_published_since: datetime


@dataclass(frozen=True)
class Candidates:
    """The newest candidates of a digest, and how many there are in all."""

    entries: tuple[DigestEntry, ...]  # newest first, at most the limit asked for
    total: int


@dataclass(frozen=True)
class DigestDraft:
    """A rendered digest, ready to be recorded once for its week."""

    week: str
    subject: str
    html: str
    text: str
    period_start: datetime
    period_end: datetime
    exercise_id: int | None
    entry_ids: tuple[int, ...]  # in the order the digest shows them
    built_at: datetime


@dataclass(frozen=True)
class BuiltDigest:
    """A digest as recorded: built once, never rebuilt."""

    id: int
    week: str
    subject: str
    html: str
    text: str
    period_start: datetime
    period_end: datetime
    exercise_id: int | None
    item_count: int
    built_at: datetime
