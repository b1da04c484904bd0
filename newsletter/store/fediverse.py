"""The fediverse account in SQL: its key, its followers, what it told them, and the ledger
of deliveries (one row per activity and inbox).

The ledger is the progress of federation, as ``deliveries`` is of email: a row is
``sending``, committed, before its POST leaves, and a result is written as it comes back, so
a killed run misses no inbox; what it left ``sending`` goes back to ``pending`` (activities
carry their id, and servers drop one they already have: a duplicate is harmless, a gap is
not). Claims take rows with SKIP LOCKED on PostgreSQL, so two runs never take the same one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import partial

from sqlalchemy import bindparam, delete, func, literal, select, true, update
from sqlalchemy.orm import Session

from newsletter.errors import StoreError
from newsletter.store.base import SqlBase, dialect_insert, record
from newsletter.store.entries import (
    ENTRY_COLUMNS,
    EntryKind,
    EntryStatus,
    PublishedEntry,
    published,
)
from newsletter.store.exercises import ExerciseRecord
from newsletter.store.models import (
    Entry,
    Exercise,
    FeaturedExercise,
    FediverseAccount,
    FediverseActivity,
    FediverseDelivery,
    FediverseFollower,
    FediversePost,
    Feed,
)


class FediState(StrEnum):
    """A delivery's state: pending → sending → sent | pending (a retry, later) | failed."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"  # given up: the inbox is gone (410) or failed for days


FEDI_TRANSITIONS: dict[FediState, frozenset[FediState]] = {
    FediState.PENDING: frozenset({FediState.SENDING, FediState.FAILED}),
    FediState.SENDING: frozenset({FediState.SENT, FediState.PENDING, FediState.FAILED}),
    FediState.SENT: frozenset(),
    FediState.FAILED: frozenset(),
}


@dataclass(frozen=True)
class StoredAccount:
    """What the store keeps of the site's account (fediverse.account.Account is the whole)."""

    private_key_pem: str
    created_at: datetime


@dataclass(frozen=True)
class Follower:
    actor: str
    inbox: str
    shared_inbox: str | None
    follow_id: str | None

    @property
    def delivery_inbox(self) -> str:
        """Where posts go: the server's shared inbox when it has one (one POST per server)."""
        return self.shared_inbox or self.inbox


@dataclass(frozen=True)
class NewActivity:
    key: str  # unique: a rerun that makes the same one adds nothing
    type: str
    body: str  # JSON
    public: bool
    only_to: str | None = None  # queued to this inbox alone (a reply), not to the followers


@dataclass(frozen=True)
class PostState:
    """What the followers were last sent of one post: its content's hash, or its Delete."""

    key: str
    content_hash: str
    deleted: bool


@dataclass(frozen=True)
class FediJob:
    """A claimed delivery: what to POST, and where."""

    id: int
    inbox: str
    body: str
    attempts: int  # counting this one
    created_at: datetime


@dataclass(frozen=True)
class FediResult:
    """What became of a claimed delivery."""

    id: int
    state: FediState  # sent, pending (a retry at next_attempt_at) or failed
    status: int | None  # the inbox's HTTP status, None when it did not answer
    error: str | None = None
    next_attempt_at: datetime | None = None


BEHIND = timedelta(hours=1)  # deliveries due for longer: federation is behind (run exits 1)


@dataclass(frozen=True)
class FediBacklog:
    """The ledger at a glance, for the run's report, `status` and the console."""

    followers: int
    pending: int  # waiting, due or not
    due: int  # pending and due now
    sending: int
    failed: int
    oldest_due: datetime | None

    @property
    def retrying(self) -> int:
        """Deliveries waiting for a later try (not due yet)."""
        return self.pending - self.due

    def health(self, now: datetime) -> str:
        """``behind`` when deliveries have been due for over :data:`BEHIND` (cron stopped,
        or runs too short for the queue), ``retrying`` when some wait for a server to come
        back, else ``ok``."""
        if self.oldest_due is not None and now - self.oldest_due > BEHIND:
            return "behind"
        return "retrying" if self.retrying else "ok"


class FediverseSql(SqlBase):
    """The fediverse account: key, followers, posts, activities, deliveries."""

    def fediverse_account(self, now: datetime, make_key: Callable[[], str]) -> StoredAccount:
        """The account, made on first call with ``make_key()``'s PEM. Two processes that
        start at once both make a key, one row wins, and both return that one."""
        with self._session() as session:
            row = session.get(FediverseAccount, 1)
            if row is not None:
                return StoredAccount(row.private_key_pem, row.created_at)
        insert = dialect_insert(self.dialect, FediverseAccount).values(
            id=1, private_key_pem=make_key(), created_at=now
        )
        with self._session() as session:
            session.execute(insert.on_conflict_do_nothing(index_elements=["id"]))
        with self._session() as session:
            row = session.get(FediverseAccount, 1)
            if row is None:  # inserted above, and never deleted
                raise StoreError("the fediverse account could not be stored")
            return StoredAccount(row.private_key_pem, row.created_at)

    def add_follower(self, follower: Follower, accept: NewActivity, now: datetime) -> bool:
        """Record the follower and queue our Accept to its inbox, in one transaction. False
        when it already followed (the Accept is sent again: its first may have been lost)."""
        with self._session() as session:
            row = session.scalar(
                select(FediverseFollower).where(FediverseFollower.actor == follower.actor)
            )
            new = row is None
            if row is None:
                row = FediverseFollower(actor=follower.actor, followed_at=now)
                session.add(row)
            row.inbox, row.shared_inbox = follower.inbox, follower.shared_inbox
            row.follow_id = follower.follow_id
            activity_id = _add_activity(session, accept, now)
            if activity_id is not None:
                _queue(session, activity_id, [follower.inbox], now)
            return new

    def remove_follower(self, actor: str) -> bool:
        with self._core() as connection:
            gone = connection.execute(
                delete(FediverseFollower).where(FediverseFollower.actor == actor)
            ).rowcount
        return bool(gone)

    def followers(self, limit: int = 1000) -> list[Follower]:
        query = select(FediverseFollower).order_by(FediverseFollower.id).limit(limit)
        return self._rows(query, partial(record, Follower))

    def follower_count(self) -> int:
        with self._session() as session:
            return int(session.scalar(select(func.count()).select_from(FediverseFollower)) or 0)

    def has_entry_key(self, key: str) -> bool:
        with self._session() as session:
            return session.scalar(select(Entry.id).where(Entry.key == key)) is not None

    def entries_to_post(self, since: datetime, limit: int = 500) -> list[PublishedEntry]:
        """Approved articles first seen since ``since``, and questions answered since then
        (what followers are told about): the newest ``limit``."""
        fresh_article = (Entry.kind == EntryKind.ARTICLE) & (Entry.first_seen_at >= since)
        answered = (
            (Entry.kind == EntryKind.QUESTION)
            & (Entry.answered_at >= since)
            & Entry.answer_html.is_not(None)
        )
        query = (
            select(*ENTRY_COLUMNS, Feed.name.label("feed_name"), Feed.url.label("feed_url"))
            .outerjoin(Feed, Entry.feed_id == Feed.id)
            .where(Entry.status == EntryStatus.APPROVED, fresh_article | answered)
            .order_by(Entry.first_seen_at.desc(), Entry.id.desc())
            .limit(limit)
        )
        with self._session() as session:
            return [published(row) for row in session.execute(query)][::-1]

    def weeks_to_post(self, since: datetime) -> list[tuple[str, ExerciseRecord]]:
        """The weeks' exercises chosen since ``since``, with the exercise."""
        query = (
            select(FeaturedExercise.week, Exercise)
            .join(Exercise, Exercise.id == FeaturedExercise.exercise_id)
            .where(FeaturedExercise.chosen_at >= since)
            .order_by(FeaturedExercise.week)
        )
        with self._session() as session:
            return [(week, record(ExerciseRecord, row)) for week, row in session.execute(query)]

    def approved_entry_ids(self, ids: Sequence[int]) -> set[int]:
        query = select(Entry.id).where(Entry.id.in_(ids), Entry.status == EntryStatus.APPROVED)
        with self._session() as session:
            return set(session.scalars(query))

    def post_states(self, keys: Sequence[str] | None = None) -> dict[str, PostState]:
        """What followers were told, by post key (all posts when ``keys`` is None)."""
        query = select(FediversePost)
        if keys is not None:
            query = query.where(FediversePost.key.in_(keys))
        with self._session() as session:
            return {row.key: record(PostState, row) for row in session.scalars(query)}

    def publish_activities(
        self, items: Sequence[tuple[NewActivity, PostState]], now: datetime
    ) -> int:
        """Store each activity with the post's new state, and queue it to every follower's
        inbox (or to its ``only_to`` inbox), in one transaction per activity (a crash
        between two loses neither). Returns how many were new."""
        added = 0
        for activity, post in items:
            with self._session() as session:
                activity_id = _add_activity(session, activity, now)
                if activity_id is None:
                    continue
                added += 1
                row = session.get(FediversePost, post.key)
                if row is None:
                    row = FediversePost(key=post.key, created_at=now)
                    session.add(row)
                row.content_hash, row.deleted, row.updated_at = (
                    post.content_hash,
                    post.deleted,
                    now,
                )
                if activity.only_to is not None:
                    _queue(session, activity_id, [activity.only_to], now)
                    continue
                _queue_select(session, activity_id, now)
        return added

    def outbox(self, limit: int, before: int | None = None) -> list[tuple[int, str]]:
        """The public activities, newest first: (id, JSON), ids below ``before`` when given."""
        query = (
            select(FediverseActivity.id, FediverseActivity.body)
            .where(FediverseActivity.public.is_(True))
            .order_by(FediverseActivity.id.desc())
            .limit(limit)
        )
        if before is not None:
            query = query.where(FediverseActivity.id < before)
        with self._session() as session:
            return [(int(i), str(body)) for i, body in session.execute(query)]

    def note_activity(self, note_id: str) -> tuple[str, str] | None:
        """The newest public activity about our Note ``note_id`` (its Create, an Update or
        its Delete, whose ids are the Note's id and a suffix): (type, JSON); None if none."""
        about = FediverseActivity.key.in_(
            [f"{note_id}/create", f"{note_id}/delete"]
        ) | FediverseActivity.key.startswith(f"{note_id}/update-", autoescape=True)
        query = (
            select(FediverseActivity.type, FediverseActivity.body)
            .where(FediverseActivity.public.is_(True), about)
            .order_by(FediverseActivity.id.desc())
            .limit(1)
        )
        with self._session() as session:
            found = session.execute(query).first()
        return None if found is None else (str(found[0]), str(found[1]))

    def outbox_count(self) -> int:
        query = select(func.count()).where(FediverseActivity.public.is_(True))
        with self._session() as session:
            return int(session.scalar(query) or 0)

    def claim_fedi_deliveries(
        self,
        claimer: str,
        now: datetime,
        limit: int,
        activity_key: str | None = None,
    ) -> list[FediJob]:
        """Up to ``limit`` due rows, oldest first, marked sending by ``claimer`` (committed
        before any POST); with ``activity_key``, only that activity's rows."""
        query = (
            select(FediverseDelivery.id)
            .where(
                FediverseDelivery.state == FediState.PENDING,
                FediverseDelivery.next_attempt_at <= now,
            )
            .order_by(FediverseDelivery.next_attempt_at, FediverseDelivery.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        if activity_key is not None:
            query = query.where(
                FediverseDelivery.activity_id.in_(
                    select(FediverseActivity.id).where(FediverseActivity.key == activity_key)
                )
            )
        with self._session() as session:
            ids = list(session.scalars(query))
            if not ids:
                return []
            session.execute(
                update(FediverseDelivery)
                .where(FediverseDelivery.id.in_(ids))
                .values(
                    state=FediState.SENDING,
                    claimed_by=claimer,
                    claimed_at=now,
                    attempts=FediverseDelivery.attempts + 1,
                )
            )
            rows = session.execute(
                select(
                    FediverseDelivery.id,
                    FediverseDelivery.inbox,
                    FediverseActivity.body,
                    FediverseDelivery.attempts,
                    FediverseDelivery.created_at,
                )
                .join(FediverseActivity, FediverseActivity.id == FediverseDelivery.activity_id)
                .where(FediverseDelivery.id.in_(ids))
                .order_by(FediverseDelivery.id)
            )
            return [FediJob(int(i), inbox, body, int(n), at) for i, inbox, body, n, at in rows]

    def finish_fedi_deliveries(self, results: Sequence[FediResult], now: datetime) -> None:
        """Claimed rows' results, in one transaction: sent, pending again (at their
        ``next_attempt_at``) or failed. A row no longer sending (taken back from a run
        presumed dead) is left as it is."""
        by_state: dict[FediState, list[dict[str, object]]] = {}
        for result in results:
            by_state.setdefault(result.state, []).append(
                {
                    "row_id": result.id,
                    "new_status": result.status,
                    "new_error": result.error,
                    "new_next": result.next_attempt_at or now,
                }
            )
        values: dict[FediState, dict[str, object]] = {
            FediState.SENT: {"sent_at": now},
            FediState.PENDING: {"next_attempt_at": bindparam("new_next"), "claimed_by": None},
            FediState.FAILED: {},
        }
        with self._core() as connection:
            for state, rows in by_state.items():
                statement = (
                    update(FediverseDelivery)
                    .where(
                        FediverseDelivery.id == bindparam("row_id"),
                        FediverseDelivery.state == FediState.SENDING,
                    )
                    .values(
                        state=state,
                        status=bindparam("new_status"),
                        error=bindparam("new_error"),
                        **values[state],
                    )
                )
                connection.execute(statement, rows)

    def postpone_server(self, origin: str, until: datetime) -> None:
        """A server that could not be reached (``origin``: scheme and host, as
        ``https://social.example``): every waiting row for one of its inboxes waits until
        ``until``, so the rest of the run does not try it in vain."""
        with self._session() as session:
            session.execute(
                update(FediverseDelivery)
                .where(
                    FediverseDelivery.inbox.startswith(origin + "/", autoescape=True),
                    FediverseDelivery.state == FediState.PENDING,
                    FediverseDelivery.next_attempt_at < until,
                )
                .values(next_attempt_at=until)
            )

    def drop_inbox(self, inbox: str, reason: str) -> int:
        """An inbox that is gone (410) or failed for days: its followers go, and its waiting
        rows fail with ``reason``. Returns how many followers went."""
        with self._core() as connection:
            gone = connection.execute(
                delete(FediverseFollower).where(
                    (FediverseFollower.inbox == inbox) | (FediverseFollower.shared_inbox == inbox)
                )
            ).rowcount
            connection.execute(
                update(FediverseDelivery)
                .where(
                    FediverseDelivery.inbox == inbox,
                    FediverseDelivery.state == FediState.PENDING,
                )
                .values(state=FediState.FAILED, error=reason)
            )
        return int(gone)

    def recover_fedi_deliveries(self, claimed_before: datetime) -> int:
        """Rows a dead run left sending go back to pending (a bounded duplicate, never a
        gap). Returns how many."""
        with self._core() as connection:
            return int(
                connection.execute(
                    update(FediverseDelivery)
                    .where(
                        FediverseDelivery.state == FediState.SENDING,
                        FediverseDelivery.claimed_at < claimed_before,
                    )
                    .values(state=FediState.PENDING, claimed_by=None)
                ).rowcount
            )

    def fedi_backlog(self, now: datetime) -> FediBacklog:
        counts = dict.fromkeys(FediState, 0)
        query = select(FediverseDelivery.state, func.count()).group_by(FediverseDelivery.state)
        due = select(func.count(), func.min(FediverseDelivery.created_at)).where(
            FediverseDelivery.state == FediState.PENDING, FediverseDelivery.next_attempt_at <= now
        )
        with self._session() as session:
            counts.update({FediState(s): int(n) for s, n in session.execute(query)})
            due_count, oldest = session.execute(due).one()
        return FediBacklog(
            followers=self.follower_count(),
            pending=counts[FediState.PENDING],
            due=int(due_count),
            sending=counts[FediState.SENDING],
            failed=counts[FediState.FAILED],
            oldest_due=oldest,
        )

    def fedi_delivery_states(self) -> dict[tuple[str, str], str]:
        """(activity key, inbox) → state: what the tests and `status` read of the ledger."""
        query = select(
            FediverseActivity.key, FediverseDelivery.inbox, FediverseDelivery.state
        ).join(FediverseActivity, FediverseActivity.id == FediverseDelivery.activity_id)
        with self._session() as session:
            return {(key, inbox): state for key, inbox, state in session.execute(query)}


def _add_activity(session: Session, activity: NewActivity, now: datetime) -> int | None:
    """The new activity's id; None when one with its key exists (a rerun adds nothing)."""
    insert = dialect_insert(session, FediverseActivity).values(
        key=activity.key,
        type=activity.type,
        body=activity.body,
        public=activity.public,
        created_at=now,
    )
    found = session.execute(
        insert.on_conflict_do_nothing(index_elements=["key"]).returning(FediverseActivity.id)
    ).first()
    return None if found is None else int(found[0])


def _queue(session: Session, activity_id: int, inboxes: Sequence[str], now: datetime) -> None:
    for inbox in dict.fromkeys(inboxes):
        session.add(
            FediverseDelivery(
                activity_id=activity_id,
                inbox=inbox,
                state=FediState.PENDING,
                attempts=0,
                created_at=now,
                next_attempt_at=now,
            )
        )


def _queue_select(session: Session, activity_id: int, now: datetime) -> None:
    """INSERT … SELECT: one statement for every follower's inbox (a server's shared inbox
    once), however many. Rows go in the order their followers came, which mixes servers
    as follows do: a claim of the oldest rows then spans many servers, so it is not held
    to the few POSTs at a time one server gets."""
    target = func.coalesce(FediverseFollower.shared_inbox, FediverseFollower.inbox)
    inboxes = (
        select(target.label("inbox"), func.min(FediverseFollower.id).label("first"))
        .group_by(target)
        .subquery()
    )
    source = (
        select(
            literal(activity_id),
            inboxes.c.inbox,
            literal(FediState.PENDING.value),
            literal(0),
            literal(now, FediverseDelivery.created_at.type),
            literal(now, FediverseDelivery.next_attempt_at.type),
        )
        .where(true())  # SQLite reads ON CONFLICT after INSERT … SELECT only past a WHERE
        .order_by(inboxes.c.first)
    )
    columns = ["activity_id", "inbox", "state", "attempts", "created_at", "next_attempt_at"]
    insert = dialect_insert(session, FediverseDelivery).from_select(columns, source)
    session.execute(insert.on_conflict_do_nothing())
