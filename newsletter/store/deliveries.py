"""Deliveries: one row per subscriber and digest, the store's half of sending.

The rows' states are the progress of a send: nothing is remembered anywhere else, so a
crash, a pause or a second sender can never skip anyone (listmonk #3022). A row is
``sending``, committed, before its message reaches a server, and only what a dead sender
left ``sending`` can be in doubt afterwards.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    and_,
    exists,
    func,
    literal_column,
    select,
    update,
)

from newsletter.store.base import SqlBase
from newsletter.store.delivery_states import (
    DELIVERY_TRANSITIONS,
    HELD,
    RESULT_STATES,
    Claim,
    DeliveryJob,
    DeliveryResult,
    DeliveryState,
    Journaled,
    MailingRef,
    Parent,
    Recovered,
)
from newsletter.store.delivery_writer import CLAIM_STAMP, SKIPPED, DeliveryWriter
from newsletter.store.digests import DigestToSend, audience_insert, mark_last_week
from newsletter.store.models import Delivery, Digest, Enrolment, ProgrammeMailing, Subscriber
from newsletter.store.programmes import EnrolmentState
from newsletter.store.subscribers import SubscriberState

_S = DeliveryState
CLAIM_STAMP_SQL: Any = literal_column(CLAIM_STAMP["postgresql"])
# What a row recovered as delivered says, in place of the server's reply its sender never
# got to record; and what a row queued again from doubt says until it is sent.
JOURNALED = "accepted by the server (recorded in the journal of a send that died)"
RESENT = "in flight when its send died: sent again (it may arrive twice)"
__all__ = [  # re-exported: callers import the deliveries' values from here
    "DELIVERY_TRANSITIONS",
    "HELD",
    "RESULT_STATES",
    "Claim",
    "DeliveriesSql",
    "DeliveryJob",
    "DeliveryResult",
    "DeliveryState",
    "Journaled",
    "MailingRef",
    "Parent",
    "Recovered",
    "audience_insert",
]


class DeliveriesSql(SqlBase):
    """The deliveries of digests and programme mailings (a ``Parent``): queue, claim,
    advance, recover, count."""

    def digest_to_send(self, week: str | None) -> DigestToSend | None:
        """That week's digest, or the latest one."""
        query = select(
            Digest.id, Digest.week, Digest.subject, Digest.html, Digest.text, Digest.built_at
        )
        query = query.where(Digest.week == week) if week else query.order_by(Digest.week.desc())
        with self._core() as connection:
            row = connection.execute(query.limit(1)).first()
        return DigestToSend(*row) if row else None

    def queue_deliveries(self, digest_id: int, now: datetime) -> int:
        with self._core() as connection:
            count = connection.execute(audience_insert(self.dialect, digest_id)).rowcount
        return max(count, 0)

    def queue_new_subscribers(self, digest_id: int) -> int:
        """Queue who became active since the digest was built, until its first message is
        tried: a digest built ahead (to preview it) still reaches everyone subscribed when
        it goes out, and a send under way never grows."""
        with self._core() as connection:
            statement = audience_insert(self.dialect, digest_id, until_sending=True)
            count = connection.execute(statement).rowcount
            week = connection.scalar(select(Digest.week).where(Digest.id == digest_id))
            if count > 0 and week is not None:
                connection.execute(mark_last_week(digest_id, week))
        return max(count, 0)

    def delivery_claims(self) -> list[Claim]:
        """Who holds rows (claimed or sending) of any digest or mailing, and their last
        sign of life: a sender that died holds rows of one parent, and whichever send comes
        next recovers them (its journal is read, and then removed, once)."""
        query = (
            select(Delivery.claimed_by, func.max(Delivery.claimed_at), func.count())
            .where(Delivery.state.in_(HELD))
            .group_by(Delivery.claimed_by)
        )
        with self._core() as connection:
            return [Claim(by, seen, int(n)) for by, seen, n in connection.execute(query)]

    def recover_claims(
        self, claimers: Mapping[str | None, Journaled | None], now: datetime
    ) -> Recovered:
        """The rows of senders known dead, in one transaction: claimed → pending; sending →
        sent where the sender's journal saw the server accept it, else back to pending. Of
        those, a row handed to the server with no answer seen, or held by a sender without
        a journal here (``None``: another machine's), is counted as re-sent after a crash
        (it may arrive twice), on its digest or mailing too, for `status`."""
        totals = Counter[str]()
        with self._core() as connection:
            for claimer, journaled in claimers.items():
                totals.update(_recover_one(connection, claimer, journaled, now))
        return Recovered(totals["released"], totals["delivered"], totals["resent"])

    def resent_after_crash(self, parent: Parent) -> int:
        """How many of the digest's (or mailing's) messages were sent again because a send
        died while they were in flight (each may have arrived twice)."""
        table = ProgrammeMailing if isinstance(parent, MailingRef) else Digest
        key = parent.id if isinstance(parent, MailingRef) else parent
        query = select(table.resent_after_crash).where(table.id == key)
        with self._core() as connection:
            return int(connection.scalar(query) or 0)

    def requeue_unknown(self, parent: Parent) -> int:
        """Rows in doubt (unknown) go back to pending: the owner chose to risk a duplicate."""
        statement = (
            update(Delivery)
            .where(_of(parent), Delivery.state == _S.UNKNOWN)
            .values(state=_S.PENDING, claimed_by=None, claimed_at=None)
        )
        with self._core() as connection:
            return connection.execute(statement).rowcount

    def claim_deliveries(
        self,
        parent: Parent,
        claimer: str,
        now: datetime,
        limit: int,
        message_id: Callable[[int], str],
    ) -> list[DeliveryJob]:
        """Take up to ``limit`` due rows (pending first, then retries whose time has come);
        rows of subscribers no longer active (or, for a step, gone from its programme) become
        skipped. ``message_id`` makes, from the subscriber id, the Message-ID of a row that
        has none yet (it is stored with the row's ``sending`` mark). On PostgreSQL
        concurrent claimers skip each other's rows (FOR UPDATE SKIP LOCKED)."""
        with self._core() as connection:
            claim = functools.partial(self._claim_state, connection, parent, claimer, now)
            rows = claim(_S.PENDING, limit)
            if len(rows) < limit:
                rows += claim(_S.RETRY, limit - len(rows))
            if not rows:
                return []
            readers = {row.subscriber_id for row in rows}
            subscribers = {row.id: row for row in connection.execute(_readers(parent, readers))}
            gone = [row.id for row in rows if not subscribers[row.subscriber_id].wanted]
            if gone:
                connection.execute(
                    update(Delivery)
                    .where(Delivery.id.in_(gone))
                    .values(state=_S.SKIPPED, error=SKIPPED, claimed_at=now)
                )
        return [
            _job(row, subscribers[row.subscriber_id], message_id)
            for row in sorted(rows, key=lambda row: row.id)
            if subscribers[row.subscriber_id].wanted
        ]

    def _claim_state(
        self,
        connection: Connection,
        parent: Parent,
        claimer: str,
        now: datetime,
        state: DeliveryState,
        limit: int,
    ) -> list[Any]:
        # One state per query, so the (digest_id, state, id) index hands rows over in id
        # order without sorting the whole list on every claim.
        due = select(Delivery.id).where(_of(parent), Delivery.state == state)
        if state == _S.RETRY:
            due = due.where(Delivery.next_attempt_at <= now)
        due = due.order_by(Delivery.id).limit(limit)
        if self.dialect == "postgresql":
            due = due.with_for_update(skip_locked=True)
        statement = (
            update(Delivery)
            .where(Delivery.id.in_(due))
            .values(state=_S.CLAIMED, claimed_by=claimer, claimed_at=self._stamp(now))
            .returning(
                Delivery.id,
                Delivery.subscriber_id,
                Delivery.message_id,
                Delivery.attempts,
                Delivery.variant,
            )
        )
        return list(connection.execute(statement))

    def open_delivery_writer(self, claimer: str) -> DeliveryWriter:
        """One sender's worker's commits, its SQL prepared once: each records finished
        attempts, hands back marked rows never sent, and marks the next rows ``sending``
        (storing their Message-IDs) in one commit, answering for each 'lost' when the row is
        no longer ours, 'skipped' when its subscriber left meanwhile. ``close()`` it when
        done."""
        return DeliveryWriter(self.engine, claimer)

    def _stamp(self, now: datetime) -> Any:
        """A claim's sign of life: on PostgreSQL the database's clock (``database_now``),
        so that machines whose clocks disagree still agree on whose lease ran out; SQLite
        serves one machine, whose clock ``now`` is."""
        if self.dialect == "postgresql":
            return CLAIM_STAMP_SQL
        return now

    def renew_claims(self, parent: Parent, claimer: str, now: datetime) -> int:
        # The heartbeat runs beside the workers, whose commits lock up to two batches of
        # these rows each (the messages sent and the next ones marked sending). Locking the
        # rows in id order and skipping those a worker holds means the heartbeat never waits
        # on a worker, so the two can never deadlock; a skipped row was just touched by its
        # worker anyway.
        """The heartbeat: stamp our held rows with ``now``, never waiting on a worker."""
        held = (
            select(Delivery.id)
            .where(
                _of(parent),
                Delivery.claimed_by == claimer,
                Delivery.state.in_(HELD),
            )
            .order_by(Delivery.id)
            .with_for_update(skip_locked=True)
        )
        stamp = self._stamp(now)
        statement = update(Delivery).where(Delivery.id.in_(held)).values(claimed_at=stamp)
        with self._core() as connection:
            return connection.execute(statement).rowcount

    def release_claims(self, parent: Parent, claimer: str) -> int:
        """Our claimed rows that no server saw go back to pending."""
        statement = (
            update(Delivery)
            .where(
                _of(parent),
                Delivery.claimed_by == claimer,
                Delivery.state == _S.CLAIMED,
            )
            .values(state=_S.PENDING, claimed_by=None, claimed_at=None)
        )
        with self._core() as connection:
            return connection.execute(statement).rowcount

    def delivery_counts(self, parent: Parent) -> dict[DeliveryState, int]:
        """Rows of the digest per state, every state present."""
        counts = dict.fromkeys(DeliveryState, 0)
        query = select(Delivery.state, func.count()).where(_of(parent)).group_by(Delivery.state)
        with self._core() as connection:
            counts.update({_S(state): int(n) for state, n in connection.execute(query)})
        return counts

    def due_count(self, parent: Parent, now: datetime) -> int:
        """Pending rows, and retries whose time has come."""
        pending = select(func.count()).where(_of(parent), Delivery.state == _S.PENDING)
        retry = select(func.count()).where(
            _of(parent),
            Delivery.state == _S.RETRY,
            Delivery.next_attempt_at <= now,
        )
        with self._core() as connection:
            return int(connection.scalar(pending) or 0) + int(connection.scalar(retry) or 0)

    def next_retry_at(self, parent: Parent) -> datetime | None:
        """When the earliest waiting retry is due, if any."""
        query = select(func.min(Delivery.next_attempt_at)).where(
            _of(parent), Delivery.state == _S.RETRY
        )
        with self._core() as connection:
            value = connection.scalar(query)
        return value if isinstance(value, datetime) else None


def _of(parent: Parent) -> Any:
    """The deliveries of ``parent``: a digest's, or a programme mailing's."""
    if isinstance(parent, MailingRef):
        return Delivery.mailing_id == parent.id
    return Delivery.digest_id == parent


def _readers(parent: Parent, ids: set[int]) -> Any:
    """The subscribers of claimed rows, each with whether it still wants them: subscribed
    and, for a programme's step, not since gone from the programme (a step queued on a
    retry can wait hours; a reader who paused still gets the step due before the pause)."""
    wanted: Any = Subscriber.state == SubscriberState.ACTIVE
    if isinstance(parent, MailingRef):
        programme = (
            select(ProgrammeMailing.programme)
            .where(ProgrammeMailing.id == parent.id)
            .scalar_subquery()
        )
        left = exists().where(
            Enrolment.subscriber_id == Subscriber.id,
            Enrolment.programme == programme,
            Enrolment.state == EnrolmentState.LEFT,
        )
        wanted = and_(wanted, ~left)
    columns = (Subscriber.id, Subscriber.email, Subscriber.email_key, Subscriber.name)
    return select(*columns, wanted.label("wanted")).where(Subscriber.id.in_(ids))


def _recover_one(
    connection: Connection,
    claimer: str | None,
    journaled: Journaled | None,
    now: datetime,
) -> Counter[str]:
    mine = Delivery.claimed_by.is_(None) if claimer is None else (Delivery.claimed_by == claimer)
    held = update(Delivery).where(mine)
    back = {"state": _S.PENDING, "claimed_by": None, "claimed_at": None}
    counts = Counter[str]()
    claimed = held.where(Delivery.state == _S.CLAIMED).values(back)
    counts["released"] = connection.execute(claimed).rowcount
    sending = held.where(Delivery.state == _S.SENDING)
    # A handful of rows per worker: the journal, which may name thousands, is matched here.
    ids = set(connection.scalars(select(Delivery.id).where(mine, Delivery.state == _S.SENDING)))
    delivered = ids & journaled.delivered if journaled is not None else set()
    in_doubt = ids - delivered if journaled is None else ids & journaled.in_doubt
    never_sent = ids - delivered - in_doubt
    if delivered:
        counts["delivered"] = connection.execute(
            sending.where(Delivery.id.in_(delivered)).values(
                state=_S.SENT,
                attempts=Delivery.attempts + 1,
                reply=JOURNALED,
                error=None,
                next_attempt_at=None,
                sent_at=now,
            )
        ).rowcount
    if in_doubt:
        _count_resent(connection, in_doubt)
        statement = sending.where(Delivery.id.in_(in_doubt)).values({**back, "error": RESENT})
        counts["resent"] = connection.execute(statement).rowcount
    if never_sent:
        statement = sending.where(Delivery.id.in_(never_sent)).values(back)
        counts["released"] += connection.execute(statement).rowcount
    return counts


def _count_resent(connection: Connection, ids: set[int]) -> None:
    """Add the rows sent again to their digest's or mailing's count."""
    parents = select(Delivery.digest_id, Delivery.mailing_id, func.count()).where(
        Delivery.id.in_(ids)
    )
    for digest_id, mailing_id, n in connection.execute(
        parents.group_by(Delivery.digest_id, Delivery.mailing_id)
    ):
        table = Digest if mailing_id is None else ProgrammeMailing
        key = digest_id if mailing_id is None else mailing_id
        connection.execute(
            update(table)
            .where(table.id == key)
            .values(resent_after_crash=table.resent_after_crash + n)
        )


def _job(row: Any, subscriber: Any, message_id: Callable[[int], str]) -> DeliveryJob:
    """A claimed row and its subscriber. A row tried before keeps its Message-ID; a new one
    gets its id here, and the writer stores it with the row's `sending` mark."""
    return DeliveryJob(
        row.id,
        row.subscriber_id,
        subscriber.email,
        subscriber.email_key,
        subscriber.name,
        row.message_id or message_id(row.subscriber_id),
        row.attempts,
        row.variant,
    )
