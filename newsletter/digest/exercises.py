"""`newsletter exercises`: the catalog, the weeks each exercise had, and pinning a week."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from newsletter.digest.build import resolve_week, sync_catalog
from newsletter.digest.rotation import choose_exercise
from newsletter.digest.weeks import current_week, shift_week
from newsletter.errors import BadInput
from newsletter.store import SqlStore
from newsletter.store.exercises import ExerciseRecord, FeaturedWeek

UPCOMING_WEEKS = 4


class UnknownExercise(BadInput):
    """A slug that is in no exercises.yaml."""


class WeekAlreadyBuilt(BadInput):
    """Pinning a week whose digest exists: asked as typed, it can never work (exit 2)."""


@dataclass(frozen=True)
class CatalogLine:
    exercise: ExerciseRecord
    weeks: tuple[str, ...]  # the weeks it was (or is to be) featured, oldest first
    pinned: tuple[str, ...]  # those of them the owner pinned


@dataclass(frozen=True)
class Upcoming:
    week: str
    exercise: ExerciseRecord
    state: str  # pinned | chosen | next in turn


@dataclass(frozen=True)
class Overview:
    lines: tuple[CatalogLine, ...]  # active exercises in catalog order, then removed ones
    upcoming: tuple[Upcoming, ...]  # this week and the next few


def exercise_overview(site_root: Path, timezone: str, store: SqlStore, now: datetime) -> Overview:
    """The catalog of ``site_root`` and the weeks of each exercise; the coming weeks from
    the current one in the newsletter's ``timezone``."""
    catalog = sync_catalog(site_root, store, now)
    stored = store.featured_weeks()
    lines = tuple(
        CatalogLine(
            exercise,
            tuple(w for w, f in stored.items() if f.exercise_id == exercise.id),
            tuple(w for w, f in stored.items() if f.exercise_id == exercise.id and f.pinned),
        )
        for exercise in catalog
    )
    return Overview(lines, _upcoming(catalog, stored, current_week(now, timezone), now))


def feature_exercise(
    site_root: Path,
    timezone: str,
    store: SqlStore,
    slug: str,
    now: datetime,
    week: str | None = None,
) -> tuple[str, ExerciseRecord]:
    """Pin the exercise ``slug`` to ``week`` (default: the current week in ``timezone``),
    unless that week's digest is built: a digest, once built, never changes."""
    week = resolve_week(timezone, now, week)
    catalog = sync_catalog(site_root, store, now)
    exercise = _active(catalog, slug)
    built = store.built_digest(week)
    if built is not None:
        raise WeekAlreadyBuilt(
            f"the digest of {week} is already built and a built digest never changes; "
            f"pin a later week, e.g. --week {shift_week(week, 1)}"
        )
    store.pin_week(week, exercise.id, now)
    return week, exercise


def _active(catalog: list[ExerciseRecord], slug: str) -> ExerciseRecord:
    for exercise in catalog:
        if exercise.slug == slug:
            if exercise.active:
                return exercise
            raise UnknownExercise(f"'{slug}' was removed from exercises.yaml; put it back first")
    slugs = [e.slug for e in catalog if e.active]
    guess = difflib.get_close_matches(slug, slugs, n=1)
    hint = f"did you mean '{guess[0]}'? " if guess else ""
    raise UnknownExercise(
        f"no exercise '{slug}' in the catalog; {hint}`newsletter exercises list` shows them"
    )


def _upcoming(
    catalog: list[ExerciseRecord], stored: dict[str, FeaturedWeek], week: str, now: datetime
) -> tuple[Upcoming, ...]:
    """This week and the next ones as the rotation sees them now: later weeks assume
    the earlier ones take their turn."""
    by_id = {e.id: e for e in catalog}
    assumed = dict(stored)
    upcoming = []
    for n in range(UPCOMING_WEEKS):
        current = shift_week(week, n)
        choice = choose_exercise(current, catalog, assumed)
        state = "pinned" if choice.pinned else "chosen" if choice.stored else "next in turn"
        assumed[current] = FeaturedWeek(current, choice.exercise_id, choice.pinned, now)
        upcoming.append(Upcoming(current, by_id[choice.exercise_id], state))
    return tuple(upcoming)
