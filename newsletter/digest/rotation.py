"""Which exercise a week features: a pure decision over the catalog and the stored weeks.

The rule, least recently featured first:

* a week whose exercise is stored (chosen earlier, or pinned by the owner) keeps it;
* otherwise the week takes the active exercise featured longest ago before it, one
  never featured counting as the oldest, ties going to the catalog's order;
* an exercise stored for one of the next weeks (a pin, usually) is left for that week,
  unless nothing else is left.

So none repeats until every active exercise has been featured since its last turn: a
cycle. A pinned week counts as featured. An exercise added to the catalog is never
featured yet, so it comes next; one removed is skipped; stored weeks never change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from newsletter.digest.weeks import shift_week
from newsletter.errors import NewsletterError
from newsletter.store.exercises import ExerciseRecord, FeaturedWeek


class NoExercises(NewsletterError):
    """The catalog has no active exercise (exercises.yaml refuses an empty list)."""


@dataclass(frozen=True)
class WeekExercise:
    exercise_id: int
    stored: bool  # already recorded for the week (chosen earlier or pinned)
    pinned: bool


def choose_exercise(
    week: str, catalog: Sequence[ExerciseRecord], stored: Mapping[str, FeaturedWeek]
) -> WeekExercise:
    """The exercise of ``week``; deterministic in its arguments."""
    if week in stored:
        return WeekExercise(stored[week].exercise_id, stored=True, pinned=stored[week].pinned)
    active = catalog_order(catalog)
    if not active:
        raise NoExercises("the exercise catalog has no active exercise; add one to exercises.yaml")
    last_featured = {f.exercise_id: f.week for w, f in sorted(stored.items()) if w < week}
    reserved = _reserved_ahead(week, len(active), stored)
    candidates = [e for e in active if e.id not in reserved] or active
    # "" sorts before every week: never featured comes first.
    best = min(candidates, key=lambda e: (last_featured.get(e.id, ""), e.position))
    return WeekExercise(best.id, stored=False, pinned=False)


def _reserved_ahead(week: str, horizon: int, stored: Mapping[str, FeaturedWeek]) -> set[int]:
    """Exercises stored for the weeks after ``week`` within one cycle: featuring one now
    would repeat it within the cycle."""
    ahead = {shift_week(week, n) for n in range(1, horizon)}
    return {f.exercise_id for w, f in stored.items() if w in ahead}


def catalog_order(catalog: Sequence[ExerciseRecord]) -> list[ExerciseRecord]:
    """The active exercises in catalog order."""
    return sorted((e for e in catalog if e.active), key=lambda e: e.position)
