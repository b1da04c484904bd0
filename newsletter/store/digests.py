"""The weekly digests: each digest as built, the entries it carried, and the archive's
view of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, delete, exists, func, literal, or_, select, update

from newsletter.store.base import SqlBase, dialect_insert, record
from newsletter.store.delivery_states import DeliveryState
from newsletter.store.entries import EntryKind, EntryStatus
from newsletter.store.models import (
    Delivery,
    Digest,
    DigestItem,
    EditorNote,
    Entry,
    Exercise,
    Feed,
    Subscriber,
)
from newsletter.store.subscribers import SubscriberState


@dataclass(frozen=True)
class DigestEntry:
    """An approved article or question that a digest may carry."""

    id: int
    kind: EntryKind
    title: str  # plain text
    link: str | None
    summary_html: str  # sanitized at ingest
    content_html: str  # sanitized at ingest
    author: str | None
    published_at: datetime
    first_seen_at: datetime
    feed_name: str | None
    answer_html: str | None = None  # a question's answer (the owner's, from the console)


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
class _Digest:
    """What a digest is, drafted or recorded: its week, its rendering, what it covers."""

    week: str
    subject: str
    html: str
    text: str
    period_start: datetime
    period_end: datetime
    exercise_id: int | None


@dataclass(frozen=True)
class DigestDraft(_Digest):
    """A rendered digest, ready to be recorded once for its week."""

    entry_ids: tuple[int, ...]  # in the order the digest shows them
    built_at: datetime
    monthly: bool = False  # the month's first: monthly readers get it too
    note: str | None = None  # the editor's note it carries (Markdown), taken from the draft


@dataclass(frozen=True, kw_only=True)
class BuiltDigest(_Digest):
    """A digest as recorded: built once, never rebuilt."""

    id: int
    item_count: int
    built_at: datetime
    note: str | None = None  # the editor's note it carries (Markdown)


@dataclass(frozen=True)
class DigestToSend:
    """What the sender needs of a digest: its rendering, with the unsubscribe placeholder."""

    id: int
    week: str
    subject: str
    html: str
    text: str
    built_at: datetime


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
    exercise_slug: str | None = None  # for the exercise's picture in the archive's index


@dataclass(frozen=True)
class StoredDigest:
    """A digest as built, for its archive page."""

    summary: DigestSummary
    html: str
    text: str


_SUMMARY_COLUMNS = (
    Digest.week,
    Digest.subject,
    Digest.built_at,
    Digest.period_start,
    Digest.period_end,
    Digest.item_count,
    Exercise.name,
    Exercise.slug,
)


class DigestSql(SqlBase):
    """The digests and digest_items tables: building (``digest``) and the archive's reads
    (``publish``)."""

    def built_digest(self, week: str) -> BuiltDigest | None:
        """The digest recorded for ``week``, if any."""
        with self._session() as session:
            row = session.scalars(select(Digest).where(Digest.week == week)).first()
            return None if row is None else record(BuiltDigest, row)

    def digest_before(self, week: str) -> BuiltDigest | None:
        """The latest digest of a week before ``week``, if any."""
        query = select(Digest).where(Digest.week < week).order_by(Digest.week.desc()).limit(1)
        with self._session() as session:
            row = session.scalars(query).first()
            return None if row is None else record(BuiltDigest, row)

    def digest_weeks(self) -> list[str]:
        """The weeks that have a digest, oldest first."""
        with self._session() as session:
            return list(session.scalars(select(Digest.week).order_by(Digest.week)))

    def first_digest_start(self) -> datetime | None:
        """The period start of the earliest digest: nothing older is ever news."""
        with self._session() as session:
            return session.scalar(select(func.min(Digest.period_start)))

    def digest_candidates(self, window: CandidateWindow, limit: int) -> Candidates:
        """The entries of ``window``: the ``limit`` newest (by published time, then id),
        and how many there are in all."""
        article = and_(
            Entry.kind == EntryKind.ARTICLE,
            Entry.first_seen_at >= window.articles_since,
            Entry.published_at >= window.articles_published_since,
        )
        question = and_(
            Entry.kind == EntryKind.QUESTION,
            Entry.first_seen_at >= window.questions_since,
            Entry.published_at >= window.questions_published_since,
        )
        carried = exists().where(DigestItem.entry_id == Entry.id)
        where = (
            Entry.status == EntryStatus.APPROVED,
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
        """Record a week's digest and its items once. When another builder recorded the
        week first, return theirs and False; ours is dropped."""
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
            "monthly": draft.monthly,
            "note": draft.note,
        }
        with self._session() as session:
            # The week is unique: when two builders race, the database picks the winner
            # and the loser reads what the winner recorded.
            statement = dialect_insert(session, Digest).values(values)
            won = session.scalar(
                statement.on_conflict_do_nothing(index_elements=["week"]).returning(Digest.id)
            )
            if won is not None and draft.entry_ids:
                items = [
                    {"digest_id": won, "entry_id": entry_id, "position": position}
                    for position, entry_id in enumerate(draft.entry_ids)
                ]
                session.execute(dialect_insert(session, DigestItem), items)
            if won is not None and draft.note is not None:
                # The note is the digest's now: taken from the draft in the same
                # transaction, unless the owner rewrote it meanwhile (then the new words
                # wait for the next digest rather than being lost).
                session.execute(delete(EditorNote).where(EditorNote.markdown == draft.note))
            if won is not None:
                # The audience is frozen in the same transaction that records the digest:
                # no crash can leave a built digest that nobody is queued to receive.
                session.execute(audience_insert(self.dialect, won))
                session.execute(mark_last_week(won, draft.week))
            row = session.scalars(select(Digest).where(Digest.week == draft.week)).one()
            return record(BuiltDigest, row), won is not None

    def digest_summaries(self) -> list[DigestSummary]:
        """Every digest built so far, newest week first, with its exercise's name."""
        query = (
            select(*_SUMMARY_COLUMNS)
            .outerjoin(Exercise, Digest.exercise_id == Exercise.id)
            .order_by(Digest.week.desc())
        )
        with self._session() as session:
            return [DigestSummary(*row) for row in session.execute(query)]

    def get_digest(self, week: str) -> StoredDigest | None:
        """The digest of ``week`` (``YYYY-Www``), or None when none was built."""
        query = (
            select(*_SUMMARY_COLUMNS, Digest.html, Digest.text)
            .outerjoin(Exercise, Digest.exercise_id == Exercise.id)
            .where(Digest.week == week)
        )
        with self._session() as session:
            row = session.execute(query).first()
        if row is None:
            return None
        summary = DigestSummary(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7])
        return StoredDigest(summary, html=row.html, text=row.text)


def _entry(row: Entry, feed_name: str | None) -> DigestEntry:
    return record(DigestEntry, row, kind=EntryKind(row.kind), feed_name=feed_name)


def audience_insert(dialect: str, digest_id: int, until_sending: bool = False) -> Any:
    """One pending delivery per subscriber the digest is for, in one INSERT … SELECT: the
    digest's audience, frozen. A subscriber queued already is left alone. ``until_sending``:
    only while none of the digest's rows has been tried yet (see ``queue_new_subscribers``).
    Nobody gets a digest dated before they confirmed: a digest built late (its date is
    its week's send time) or sent days after it was built does not reach who joined
    since (subscribers without a confirmation date, from old imports, are in). A reader
    paused at its date is left out, and a monthly reader unless it is the month's first.

    Each row records the variant its reader chose (``subscribers.preferences.Variant``,
    encoded): their own part, plus the week of their last digest when this one must cover
    the weeks since (a monthly reader's, or one back from monthly), so a change of mind
    applies from the next digest and the rows already queued keep what they were."""
    digest = select(Digest).where(Digest.id == digest_id).subquery()
    dated = select(digest.c.built_at).scalar_subquery()
    monthly = select(digest.c.monthly).scalar_subquery()
    previous = (
        select(func.max(Digest.week))
        .where(Digest.week < select(digest.c.week).scalar_subquery())
        .scalar_subquery()
    )
    behind = Subscriber.last_week.is_not(None) & (Subscriber.last_week < previous)
    since = case((Subscriber.choice == "", literal("since=")), else_=Subscriber.choice + ";since=")
    variant = case((behind, since + Subscriber.last_week), else_=Subscriber.choice)
    audience = select(
        literal(digest_id),
        Subscriber.id,
        literal(DeliveryState.PENDING.value),
        literal(0),
        variant,
    ).where(
        Subscriber.state == SubscriberState.ACTIVE,
        Subscriber.confirmed_at.is_(None) | (Subscriber.confirmed_at <= dated),
        Subscriber.paused_until.is_(None) | (Subscriber.paused_until <= dated),
        (Subscriber.frequency != "monthly") | monthly,
    )
    if until_sending:
        begun = select(Delivery.id).where(
            Delivery.digest_id == digest_id,
            (Delivery.state != DeliveryState.PENDING) | (Delivery.attempts > 0),
        )
        audience = audience.where(~begun.exists())
    return (
        dialect_insert(dialect, Delivery)
        .from_select(["digest_id", "subscriber_id", "state", "attempts", "variant"], audience)
        .on_conflict_do_nothing(index_elements=["digest_id", "subscriber_id"])
        # SQLAlchemy reports an INSERT's rowcount only when asked to.
        .execution_options(preserve_rowcount=True)
    )


def mark_last_week(digest_id: int, week: str) -> Any:
    """Remember the week of the last digest queued for each of its readers (a monthly
    reader's next digest covers the weeks after it)."""
    queued = select(Delivery.subscriber_id).where(Delivery.digest_id == digest_id)
    return (
        update(Subscriber)
        .where(Subscriber.id.in_(queued))
        .where(Subscriber.last_week.is_(None) | (Subscriber.last_week < week))
        .values(last_week=week)
        .execution_options(synchronize_session=False)
    )
