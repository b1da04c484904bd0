"""The weekly digest's tables: the exercise catalog, the featured exercise of each week,
the digests and the entries each one carried."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from newsletter.store.base import SqlBase
from newsletter.store.delivery_rows import audience_insert
from newsletter.store.digest_types import (
    BuiltDigest,
    Candidates,
    CandidateWindow,
    DigestDraft,
    DigestEntry,
    ExerciseData,
    ExerciseRecord,
    FeaturedWeek,
)
from newsletter.store.models import Digest, DigestItem, Entry, Exercise, FeaturedExercise, Feed


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


class DigestSql(SqlBase):
    """Implements :class:`DigestStore`."""

    # exercises

    def sync_exercises(self, exercises: Sequence[ExerciseData], now: datetime) -> None:
        rows = [
            {**_exercise_values(exercise), "position": position, "active": True, "updated_at": now}
            for position, exercise in enumerate(exercises)
        ]
        with self._session() as session:
            if rows:
                # An upsert, so two commands loading the catalog at once both succeed.
                statement = _insert(session, Exercise).values(rows)
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
        query = select(Exercise).order_by(Exercise.active.desc(), Exercise.position, Exercise.id)
        with self._session() as session:
            return [_exercise(row) for row in session.scalars(query)]

    def featured_weeks(self) -> dict[str, FeaturedWeek]:
        with self._session() as session:
            rows = session.scalars(select(FeaturedExercise).order_by(FeaturedExercise.week))
            return {row.week: _featured(row) for row in rows}

    def feature_week(self, week: str, exercise_id: int, now: datetime) -> FeaturedWeek:
        values = {"week": week, "exercise_id": exercise_id, "pinned": False, "chosen_at": now}
        with self._session() as session:
            statement = _insert(session, FeaturedExercise).values(values)
            session.execute(statement.on_conflict_do_nothing(index_elements=["week"]))
            return _featured(session.get_one(FeaturedExercise, week))

    def pin_week(self, week: str, exercise_id: int, now: datetime) -> FeaturedWeek:
        values = {"week": week, "exercise_id": exercise_id, "pinned": True, "chosen_at": now}
        with self._session() as session:
            statement = _insert(session, FeaturedExercise).values(values)
            changed = {name: statement.excluded[name] for name in values if name != "week"}
            session.execute(statement.on_conflict_do_update(index_elements=["week"], set_=changed))
            return _featured(session.get_one(FeaturedExercise, week))

    # digests

    def built_digest(self, week: str) -> BuiltDigest | None:
        with self._session() as session:
            row = session.scalars(select(Digest).where(Digest.week == week)).first()
            return None if row is None else _built(row)

    def digest_before(self, week: str) -> BuiltDigest | None:
        query = select(Digest).where(Digest.week < week).order_by(Digest.week.desc()).limit(1)
        with self._session() as session:
            row = session.scalars(query).first()
            return None if row is None else _built(row)

    def first_digest_start(self) -> datetime | None:
        with self._session() as session:
            return session.scalar(select(func.min(Digest.period_start)))

    def digest_candidates(self, window: CandidateWindow, limit: int) -> Candidates:
        article = and_(
            Entry.kind == "article",
            Entry.first_seen_at >= window.articles_since,
            Entry.published_at >= window.articles_published_since,
        )
        question = and_(
            Entry.kind == "question",
            Entry.first_seen_at >= window.questions_since,
            Entry.published_at >= window.questions_published_since,
        )
        carried = exists().where(DigestItem.entry_id == Entry.id)
        where = (
            Entry.status == "approved",
            Entry.first_seen_at < window.until,
            or_(article, question),
            ~carried,
        )
        query = (
            select(Entry, Feed.name)
            .outerjoin(Feed, Entry.feed_id == Feed.id)
            .where(*where)
            .order_by(Entry.published_at.desc(), Entry.id.desc())
            .limit(limit)
        )
        with self._session() as session:
            entries = tuple(_entry(row, name) for row, name in session.execute(query))
            total = len(entries)
            if total == limit:
                counted = session.scalar(select(func.count()).select_from(Entry).where(*where))
                total = int(counted or 0)
            return Candidates(entries, total)

    def save_digest(self, draft: DigestDraft) -> tuple[BuiltDigest, bool]:
        values = {
            "week": draft.week,
            "subject": draft.subject,
            "html": draft.html,
            "text": draft.text,
            "period_start": draft.period_start,
            "period_end": draft.period_end,
            "exercise_id": draft.exercise_id,
            "item_count": len(draft.entry_ids),
            "built_at": draft.built_at,
        }
        with self._session() as session:
            # The week is unique: when two builders race, the database picks the winner
            # and the loser reads what the winner recorded.
            statement = _insert(session, Digest).values(values)
            won = session.scalar(
                statement.on_conflict_do_nothing(index_elements=["week"]).returning(Digest.id)
            )
            if won is not None and draft.entry_ids:
                items = [
                    {"digest_id": won, "entry_id": entry_id, "position": position}
                    for position, entry_id in enumerate(draft.entry_ids)
                ]
                session.execute(_insert(session, DigestItem), items)
            if won is not None:
                # The audience is frozen in the same transaction that records the digest:
                # no crash can leave a built digest that nobody is queued to receive.
                session.execute(audience_insert(session.get_bind().dialect.name, won))
            row = session.scalars(select(Digest).where(Digest.week == draft.week)).one()
            return _built(row), won is not None


def _insert(session: Session, table: Any) -> Any:
    """INSERT … ON CONFLICT, in the dialect of the session's database."""
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def _exercise_values(exercise: ExerciseData) -> dict[str, Any]:
    return {
        "slug": exercise.slug,
        "name": exercise.name,
        "how": exercise.how,
        "strengthens": exercise.strengthens,
        "equipment": exercise.equipment,
        "sitting": exercise.sitting,
    }


def _exercise(row: Exercise) -> ExerciseRecord:
    return ExerciseRecord(
        id=row.id,
        slug=row.slug,
        position=row.position,
        name=row.name,
        how=row.how,
        strengthens=row.strengthens,
        equipment=row.equipment,
        sitting=row.sitting,
        active=row.active,
    )


def _featured(row: FeaturedExercise) -> FeaturedWeek:
    return FeaturedWeek(row.week, row.exercise_id, row.pinned, row.chosen_at)


def _built(row: Digest) -> BuiltDigest:
    return BuiltDigest(
        id=row.id,
        week=row.week,
        subject=row.subject,
        html=row.html,
        text=row.text,
        period_start=row.period_start,
        period_end=row.period_end,
        exercise_id=row.exercise_id,
        item_count=row.item_count,
        built_at=row.built_at,
    )


def _entry(row: Entry, feed_name: str | None) -> DigestEntry:
    return DigestEntry(
        id=row.id,
        kind=row.kind,
        title=row.title,
        link=row.link,
        summary_html=row.summary_html,
        content_html=row.content_html,
        author=row.author,
        published_at=row.published_at,
        first_seen_at=row.first_seen_at,
        feed_name=feed_name,
    )
