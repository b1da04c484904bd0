"""Programmes in SQL: who is in which programme and how far (``enrolments``), and each step
as queued on a day (``programme_mailings``), whose deliveries are rows of ``deliveries``.

An enrolment's life::

    (none) ─join─► active ─last step queued─► finished
                    │  ▲                         │
        pause/leave ▼  │ resume/join             │ restart
                  paused, left ◄──────────────────┘ (restart: from step 1 again)

    (none), left, finished ─sign-up form─► waiting ─address confirmed: join─► active

``waiting`` is a wish made on the sign-up form, kept until the address is confirmed: the
programme then starts (from step 1) on the day they confirm; a wish never confirmed never
mails anyone, and counts nowhere.

Queueing a step is one transaction: the enrolments due advance (``steps_sent`` + 1, the
next step's day) and one pending delivery per advanced reader is inserted, so a step is
queued exactly once per reader whatever runs at the same time or dies, and the sender's
ledger takes it from there. A reader whose subscription is no longer active, or who paused
all mail, is never queued; a row queued before they left the list or the programme is
skipped when claimed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, case, exists, func, literal, select, update
from sqlalchemy.orm import aliased

from newsletter.store.base import SqlBase, dialect_insert, record
from newsletter.store.delivery_states import DeliveryState, MailingRef
from newsletter.store.models import (
    Delivery,
    Digest,
    Enrolment,
    ProgrammeMailing,
    Subscriber,
    SubscriberEvent,
)
from newsletter.store.subscribers import SubscriberState

# A delivery's variant for a reader who reads mail as plain text: the digest's encoding
# (subscribers.preferences.Variant), which stores the format first in a reader's choice.
TEXT_ONLY = "fmt=text"
# How far back a digest may have been built and still be going out today: `run` builds a
# digest when it is due, so a week covers one sent late (its rows are the ones scanned).
DIGEST_LOOKBACK = timedelta(days=8)


@dataclass(frozen=True)
class SentToday:
    """The digests that reached some reader since the site's day began (``since``): a
    reader they reached that day gets no programme step until the next."""

    since: datetime
    digest_ids: tuple[int, ...] = ()


class EnrolmentState(StrEnum):
    ACTIVE = "active"  # steps go out as they fall due
    PAUSED = "paused"  # held where it is until the reader resumes
    FINISHED = "finished"  # every step queued
    LEFT = "left"  # the reader left the programme (a rejoin carries on where they were)
    WAITING = "waiting"  # asked for on the sign-up form: starts when the address is confirmed


@dataclass(frozen=True)
class EnrolmentRecord:
    """A reader's place in one programme."""

    programme: str
    state: EnrolmentState
    steps_sent: int  # steps queued so far; the next is steps_sent + 1
    due_on: str | None  # the day (the site's local date) the next step may go; None: finished
    joined_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class StepEmail:
    """A step's email as rendered once for every reader due that day."""

    subject: str
    html: str
    text: str


@dataclass(frozen=True)
class MailingToSend:
    """What the sender needs of a programme mailing (shaped like ``DigestToSend``):
    ``week`` is its label in reports and Message-IDs."""

    id: MailingRef
    week: str  # e.g. stronger-feet-3-2026-12-07
    subject: str
    html: str
    text: str
    built_at: datetime


@dataclass(frozen=True)
class ProgrammeCounts:
    """Where the readers of one programme are, for the console and `status --json`."""

    programme: str
    at_step: dict[int, int] = field(default_factory=dict)  # active readers by steps received
    paused: int = 0
    finished: int = 0
    left: int = 0  # left the programme, or no longer subscribed


class ProgrammesSql(SqlBase):
    """The enrolments and programme_mailings tables."""

    def enrol(
        self, subscriber_id: int, programme: str, first_due: str, now: datetime, restart: bool
    ) -> EnrolmentRecord:
        """Join (or rejoin) ``programme``: a new reader starts at step 1 on ``first_due``;
        one who paused or left carries on where they were, unless ``restart``, which starts
        over (as it does for a reader who finished)."""
        with self._session() as session:
            row = _enrolment(session, subscriber_id, programme)
            if row is None:
                # Two Join clicks at the same instant: the database keeps one row, and
                # both requests go on with it.
                _insert_waiting(session, subscriber_id, programme, now)
                row = _enrolment(session, subscriber_id, programme)
                assert row is not None  # inserted, or by the other request
            # A wish from the sign-up form starts as a new reader does.
            fresh = row.state == EnrolmentState.WAITING
            if row.state == EnrolmentState.FINISHED and not restart:
                return _record(row)
            if fresh or restart:
                row.steps_sent, row.due_on, row.joined_at = 0, first_due, now
            what = "restarted" if restart and not fresh else "joined"
            row.state, row.updated_at = EnrolmentState.ACTIVE, now
            _event(session, subscriber_id, now, f"{what} the programme {programme}")
            session.flush()
            return _record(row)

    def set_enrolment_state(
        self, subscriber_id: int, programme: str, state: EnrolmentState, now: datetime
    ) -> EnrolmentRecord | None:
        """Pause, resume (active) or leave: only an enrolment not finished changes."""
        with self._session() as session:
            row = _enrolment(session, subscriber_id, programme)
            if row is None or row.state == EnrolmentState.FINISHED or row.state == state:
                return None if row is None else _record(row)
            row.state, row.updated_at = state, now
            said = {"active": "resumed", "paused": "paused", "left": "left"}[state]
            _event(session, subscriber_id, now, f"{said} the programme {programme}")
            session.flush()
            return _record(row)

    def enrolments(self, subscriber_id: int) -> list[EnrolmentRecord]:
        """The reader's programmes, oldest joined first."""
        query = (
            select(Enrolment)
            .where(Enrolment.subscriber_id == subscriber_id)
            .order_by(Enrolment.joined_at, Enrolment.id)
        )
        return self._rows(query, _record)

    def digests_sent_since(self, day_start: datetime) -> SentToday:
        """Which digests reached some reader since ``day_start`` (the site's day began):
        none on most days; one sent a day late (cron or the server down on its day) on the
        day it went. Read once per run, so the steps' queries carry its ids as constants
        (a subquery there made PostgreSQL scan the deliveries once per reader)."""
        recent = select(Digest.id).where(Digest.built_at >= day_start - DIGEST_LOOKBACK)
        query = (
            select(Delivery.digest_id)
            .where(Delivery.digest_id.in_(recent), Delivery.sent_at >= day_start)
            .distinct()
        )
        with self._core() as connection:
            ids = sorted(found for found in connection.scalars(query) if found is not None)
        return SentToday(day_start, tuple(ids))

    def readers_due(
        self, programme: str, step: int, day: str, now: datetime, sent: SentToday
    ) -> int:
        """How many readers step ``step`` would be queued for on ``day``."""
        due = _due(programme, step, day, now, sent)
        query = select(func.count()).select_from(Enrolment).where(due)
        with self._core() as connection:
            return int(connection.scalar(query) or 0)

    def queue_step(
        self,
        programme: str,
        step: int,
        day: str,
        next_due: str | None,
        email: StepEmail,
        now: datetime,
        sent: SentToday,
    ) -> int:
        """Queue step ``step`` for every reader due on ``day`` (``sent``: the digests that
        went that day), in one transaction: their enrolments advance (to ``next_due``, or
        finished when it is None) and each gets one pending delivery of the day's mailing of
        the step, recorded once with ``email``. Returns how many were queued now (0 when run
        again the same day)."""
        with self._core() as connection:
            mailing_id = _mailing(connection, self.dialect, programme, step, day, email, now)
            state = EnrolmentState.FINISHED if next_due is None else EnrolmentState.ACTIVE
            advanced = connection.execute(
                update(Enrolment)
                .where(_due(programme, step, day, now, sent))
                .values(steps_sent=step, last_day=day, due_on=next_due, state=state, updated_at=now)
                .execution_options(synchronize_session=False)
            ).rowcount
            # A reader who chose plain text gets the step as text too: the row says so.
            text_only = Subscriber.choice.like(f"{TEXT_ONLY}%")
            queued = (
                select(
                    literal(mailing_id),
                    Enrolment.subscriber_id,
                    literal(DeliveryState.PENDING.value),
                    literal(0),
                    case((text_only, literal(TEXT_ONLY)), else_=literal("")),
                )
                .join(Subscriber, Subscriber.id == Enrolment.subscriber_id)
                .where(
                    Enrolment.programme == programme,
                    Enrolment.steps_sent == step,
                    Enrolment.last_day == day,
                )
            )
            columns = ["mailing_id", "subscriber_id", "state", "attempts", "variant"]
            connection.execute(
                dialect_insert(self.dialect, Delivery)
                .from_select(columns, queued)
                .on_conflict_do_nothing(index_elements=["mailing_id", "subscriber_id"])
            )
        return max(advanced, 0)

    def finish_past_the_end(self, programme: str, length: int, now: datetime) -> int:
        """Active readers who have had every step of ``programme`` as it is now are finished:
        a site that cut the last steps from programmes.yaml leaves them nothing to wait for."""
        with self._core() as connection:
            finished = connection.execute(
                update(Enrolment)
                .where(
                    Enrolment.programme == programme,
                    Enrolment.state == EnrolmentState.ACTIVE,
                    Enrolment.steps_sent >= length,
                )
                .values(state=EnrolmentState.FINISHED, due_on=None, updated_at=now)
            ).rowcount
        return max(finished, 0)

    def mailings_to_send(self, since: str) -> list[MailingToSend]:
        """The mailings of ``since`` or later that have rows waiting (pending, or a retry),
        oldest first."""
        waiting = exists().where(
            Delivery.mailing_id == ProgrammeMailing.id,
            Delivery.state.in_((DeliveryState.PENDING, DeliveryState.RETRY)),
        )
        query = (
            select(ProgrammeMailing)
            .where(ProgrammeMailing.day >= since, waiting)
            .order_by(ProgrammeMailing.day, ProgrammeMailing.programme, ProgrammeMailing.step)
        )
        return self._rows(query, _to_send)

    def programme_counts(self, programme: str) -> ProgrammeCounts:
        """Readers at each step (active, by steps received), paused, finished and left
        (a reader no longer subscribed counts as left); a wish not yet confirmed counts
        nowhere."""
        subscribed = Subscriber.state == SubscriberState.ACTIVE
        query = (
            select(Enrolment.state, Enrolment.steps_sent, subscribed, func.count())
            .join(Subscriber, Subscriber.id == Enrolment.subscriber_id)
            .where(Enrolment.programme == programme, Enrolment.state != EnrolmentState.WAITING)
            .group_by(Enrolment.state, Enrolment.steps_sent, subscribed)
        )
        counts, at_step = Counter[str](), Counter[int]()
        with self._core() as connection:
            for state, steps, active, n in connection.execute(query):
                if not active or state == EnrolmentState.LEFT:
                    counts["left"] += n
                elif state == EnrolmentState.ACTIVE:
                    at_step[int(steps)] += n
                else:
                    counts[state] += n
        return ProgrammeCounts(
            programme,
            dict(sorted(at_step.items())),
            counts["paused"],
            counts["finished"],
            counts["left"],
        )

    def wish_programme(self, subscriber_id: int, programme: str, now: datetime) -> bool:
        """Keep the wish of someone signing up to start ``programme`` once they confirm
        their address: a waiting enrolment, from step 1 (one who left it or finished it
        starts over; one still in it carries on as they were). Only while the address is
        pending; True when the wish is kept."""
        with self._session() as session:
            person = session.get(Subscriber, subscriber_id)
            if person is None or person.state != SubscriberState.PENDING:
                return False
            row = _enrolment(session, subscriber_id, programme)
            if row is None:
                if not _insert_waiting(session, subscriber_id, programme, now):
                    return True  # the same form sent twice at once: the other kept it
            elif row.state in (EnrolmentState.LEFT, EnrolmentState.FINISHED):
                row.state, row.updated_at = EnrolmentState.WAITING, now
            else:
                return row.state == EnrolmentState.WAITING
            _event(session, subscriber_id, now, f"asked for the programme {programme} on sign-up")
            return True


def _due(programme: str, step: int, day: str, now: datetime, sent: SentToday) -> Any:
    """Enrolments whose step ``step`` may be queued on ``day``: active, the step before
    received, its day come, the reader subscribed and not pausing all mail, no programme's
    step queued for them on ``day`` already, and no digest of ``sent`` sent to them that
    day (one sent a day late, after cron or the server was down on its day): one email a
    day at most."""
    other = aliased(Enrolment)
    # A correlated EXISTS on the subscriber's key: SQLite would build the list of every
    # active subscriber for an IN (…), once per step (docs/scaling.md, the programmes row).
    reachable = exists().where(
        Subscriber.id == Enrolment.subscriber_id,
        Subscriber.state == SubscriberState.ACTIVE,
        Subscriber.paused_until.is_(None) | (Subscriber.paused_until <= now),
    )
    today = select(other.id).where(
        other.subscriber_id == Enrolment.subscriber_id, other.last_day == day
    )
    due = and_(
        Enrolment.programme == programme,
        Enrolment.state == EnrolmentState.ACTIVE,
        Enrolment.steps_sent == step - 1,
        Enrolment.due_on <= day,
        reachable,
        ~today.exists(),
    )
    if not sent.digest_ids:
        return due  # most days: no digest went today
    # Probed by the unique index on (digest_id, subscriber_id), the ids as constants.
    got_one = exists().where(
        Delivery.digest_id.in_(sent.digest_ids),
        Delivery.subscriber_id == Enrolment.subscriber_id,
        Delivery.sent_at >= sent.since,
    )
    return and_(due, ~got_one)


def _mailing(
    connection: Any,
    dialect: str,
    programme: str,
    step: int,
    day: str,
    email: StepEmail,
    now: datetime,
) -> int:
    """The id of the day's mailing of the step, recorded now unless it was already."""
    values = {
        "programme": programme,
        "step": step,
        "day": day,
        "subject": email.subject,
        "html": email.html,
        "text": email.text,
        "built_at": now,
    }
    insert = dialect_insert(dialect, ProgrammeMailing).values(values)
    connection.execute(insert.on_conflict_do_nothing(index_elements=["programme", "step", "day"]))
    found = select(ProgrammeMailing.id).where(
        ProgrammeMailing.programme == programme,
        ProgrammeMailing.step == step,
        ProgrammeMailing.day == day,
    )
    return int(connection.scalar(found))


def _to_send(row: ProgrammeMailing) -> MailingToSend:
    label = f"{row.programme}-{row.step}-{row.day}"
    return MailingToSend(MailingRef(row.id), label, row.subject, row.html, row.text, row.built_at)


def _record(row: Enrolment) -> EnrolmentRecord:
    return record(EnrolmentRecord, row, state=EnrolmentState(row.state))


def _insert_waiting(session: Any, subscriber_id: int, programme: str, now: datetime) -> bool:
    """A waiting enrolment, unless one exists (True when this call made it)."""
    values = {
        "subscriber_id": subscriber_id,
        "programme": programme,
        "state": EnrolmentState.WAITING.value,
        "steps_sent": 0,
        "joined_at": now,
        "updated_at": now,
    }
    insert = dialect_insert(session, Enrolment).values(values)
    added = session.execute(
        insert.on_conflict_do_nothing(index_elements=["subscriber_id", "programme"])
    )
    return bool(getattr(added, "rowcount", 1))


def _enrolment(session: Any, subscriber_id: int, programme: str) -> Enrolment | None:
    query = select(Enrolment).where(
        Enrolment.subscriber_id == subscriber_id, Enrolment.programme == programme
    )
    return session.scalars(query).first()  # type: ignore[no-any-return]


def _event(session: Any, subscriber_id: int, now: datetime, what: str) -> None:
    session.add(SubscriberEvent(subscriber_id=subscriber_id, at=now, what=what[:1000]))
