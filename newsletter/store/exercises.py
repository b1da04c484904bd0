"""The exercise catalog and the featured exercise of each week."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from sqlalchemy import select, update

from newsletter.store.base import SqlBase, dialect_insert, record
from newsletter.store.models import Exercise, FeaturedExercise


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


class ExercisesSql(SqlBase):
    """The exercises and featured_exercises tables."""

    def sync_exercises(self, exercises: Sequence[ExerciseData], now: datetime) -> None:
        """Make the table match the catalog file: insert or update by slug, in file order;
        exercises no longer in the file become inactive, never deleted (past weeks
        reference them)."""
        rows = [
            {
                **dataclasses.asdict(exercise),
                "position": position,
                "active": True,
                "updated_at": now,
            }
            for position, exercise in enumerate(exercises)
        ]
        with self._session() as session:
            if rows:
                # An upsert, so two commands loading the catalog at once both succeed.
                statement = dialect_insert(session, Exercise).values(rows)
                changed = {name: statement.excluded[name] for name in rows[0] if name != "slug"}
                session.execute(
                    statement.on_conflict_do_update(index_elements=["slug"], set_=changed)
                )
            session.execute(
                update(Exercise)
                .where(Exercise.slug.not_in([e.slug for e in exercises]), Exercise.active)
                .values(active=False, updated_at=now)
            )

    def exercise_catalog(self) -> list[ExerciseRecord]:
        """Every exercise ever loaded: the active ones in catalog order, then the rest."""
        query = select(Exercise).order_by(Exercise.active.desc(), Exercise.position, Exercise.id)
        return self._rows(query, partial(record, ExerciseRecord))

    def featured_weeks(self) -> dict[str, FeaturedWeek]:
        """Every week whose exercise is chosen or pinned, by week."""
        with self._session() as session:
            rows = session.scalars(select(FeaturedExercise).order_by(FeaturedExercise.week))
            return {row.week: _featured(row) for row in rows}

    def feature_week(self, week: str, exercise_id: int, now: datetime) -> FeaturedWeek:
        """Record the choice for ``week`` unless one is recorded already; return the
        recorded one (a choice, once made, never changes)."""
        values = {"week": week, "exercise_id": exercise_id, "pinned": False, "chosen_at": now}
        with self._session() as session:
            statement = dialect_insert(session, FeaturedExercise).values(values)
            session.execute(statement.on_conflict_do_nothing(index_elements=["week"]))
            return _featured(session.get_one(FeaturedExercise, week))

    def pin_week(self, week: str, exercise_id: int, now: datetime) -> FeaturedWeek:
        """Record the owner's pin for ``week``, replacing any choice (the caller checks
        that the week's digest is not built)."""
        values = {"week": week, "exercise_id": exercise_id, "pinned": True, "chosen_at": now}
        with self._session() as session:
            statement = dialect_insert(session, FeaturedExercise).values(values)
            changed = {name: statement.excluded[name] for name in values if name != "week"}
            session.execute(statement.on_conflict_do_update(index_elements=["week"], set_=changed))
            return _featured(session.get_one(FeaturedExercise, week))


def _featured(row: FeaturedExercise) -> FeaturedWeek:
    return FeaturedWeek(row.week, row.exercise_id, row.pinned, row.chosen_at)
