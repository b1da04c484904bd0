"""What building the digest asks of the database (implemented by
:class:`newsletter.store.SqlStore`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from newsletter.store.digests import BuiltDigest, Candidates, CandidateWindow, DigestDraft
from newsletter.store.exercises import ExerciseData, ExerciseRecord, FeaturedWeek


class DigestStore(Protocol):
    """What ``newsletter.digest`` asks of the database.

    Every method is one transaction; times are timezone-aware UTC; weeks are ISO week
    strings (``2026-W48``), which sort in time order.
    """

    def sync_exercises(self, exercises: Sequence[ExerciseData], now: datetime) -> None:
        """Make the table match the catalog file: insert or update by slug, in file order;
        exercises no longer in the file become inactive, never deleted (past weeks
        reference them)."""
        ...

    def exercise_catalog(self) -> list[ExerciseRecord]:
        """Every exercise ever loaded: the active ones in catalog order, then the rest."""
        ...

    def featured_weeks(self) -> dict[str, FeaturedWeek]:
        """Every week whose exercise is chosen or pinned, by week."""
        ...

    def feature_week(self, week: str, exercise_id: int, now: datetime) -> FeaturedWeek:
        """Record the choice for ``week`` unless one is recorded already; return the
        recorded one (a choice, once made, never changes)."""
        ...

    def pin_week(self, week: str, exercise_id: int, now: datetime) -> FeaturedWeek:
        """Record the owner's pin for ``week``, replacing any choice (the caller checks
        that the week's digest is not built)."""
        ...

    def built_digest(self, week: str) -> BuiltDigest | None:
        """The digest recorded for ``week``, if any."""
        ...

    def digest_before(self, week: str) -> BuiltDigest | None:
        """The latest digest of a week before ``week``, if any."""
        ...

    def digest_weeks(self) -> list[str]:
        """The weeks that have a digest, oldest first."""
        ...

    def site_started(self) -> datetime | None:
        """When the site's first feed was added, if any was."""
        ...

    def first_digest_start(self) -> datetime | None:
        """The period start of the earliest digest: nothing older is ever news."""
        ...

    def digest_candidates(self, window: CandidateWindow, limit: int) -> Candidates:
        """The entries of ``window``: the ``limit`` newest (by published time, then id),
        and how many there are in all."""
        ...

    def save_digest(self, draft: DigestDraft) -> tuple[BuiltDigest, bool]:
        """Record a week's digest and its items once. When another builder recorded the
        week first, return theirs and False; ours is dropped."""
        ...
