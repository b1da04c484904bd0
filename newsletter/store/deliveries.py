"""Deliveries: one row per subscriber and digest, the store's half of sending.

The rows' states are the progress of a send: nothing is remembered anywhere else, so a
crash, a pause or a second sender can never skip anyone (listmonk #3022). A row is
``sending``, committed, before its message reaches a server, and only what a dead sender
left ``sending`` can be in doubt afterwards.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Connection,
    func,
    literal,
    select,
    update,
)

from newsletter.store.base import SqlBase, dialect_insert
from newsletter.store.delivery_writer import SKIPPED, DeliveryWriter
from newsletter.store.digests import DigestToSend
from newsletter.store.models import Delivery, Digest, Subscriber
from newsletter.store.subscribers import SubscriberState


class DeliveryState(StrEnum):
    """Every state a delivery row can be in; newsletter.mail.decide decides the results."""

    PENDING = "pending"  # queued, never tried (or handed back untouched)
    RETRY = "retry"  # a temporary failure; due again at next_attempt_at
    CLAIMED = "claimed"  # taken by a sender (claimed_by), not yet talked about to any server
    SENDING = "sending"  # committed just before the server is given the message
    SENT = "sent"  # the server answered 250 (reply kept)
    FAILED = "failed"  # refused for good (5xx), or too many temporary failures
    UNKNOWN = "unknown"  # left `sending` by a sender that died: maybe delivered, never re-sent
    SKIPPED = "skipped"  # the subscriber left after the digest was built


_S = DeliveryState
# Every change a row's state may make, and who makes it: claim_deliveries (pending or due
# retry → claimed; claimed → skipped for a subscriber who left), the writer (claimed →
# sending or skipped; sending → the attempt's result), release/recover_claims (claimed →
# pending, sending → unknown) and requeue_unknown (unknown → pending). A row in doubt
# (unknown) still takes the result its own sender reports. Sent, failed and skipped are final.
DELIVERY_TRANSITIONS: dict[DeliveryState, frozenset[DeliveryState]] = {
    _S.PENDING: frozenset({_S.CLAIMED}),
    _S.RETRY: frozenset({_S.CLAIMED}),
    _S.CLAIMED: frozenset({_S.SENDING, _S.SKIPPED, _S.PENDING}),
    _S.SENDING: frozenset({_S.SENT, _S.FAILED, _S.RETRY, _S.PENDING, _S.UNKNOWN}),
    _S.UNKNOWN: frozenset({_S.PENDING, _S.SENT, _S.FAILED, _S.RETRY}),
    _S.SENT: frozenset(),
    _S.FAILED: frozenset(),
    _S.SKIPPED: frozenset(),
}
# What a sender may report for one attempt: sent, retry, failed, or pending (handed back,
# nothing was sent).
RESULT_STATES = frozenset({_S.SENT, _S.RETRY, _S.FAILED, _S.PENDING})
HELD = (_S.CLAIMED, _S.SENDING)  # rows a sender holds


@dataclass(frozen=True)
class DeliveryJob:
    """A claimed delivery, with what its message needs to know of the subscriber."""

    id: int
    subscriber_id: int
    email: str
    email_key: str
    name: str | None
    message_id: str
    attempts: int  # attempts made before this one


@dataclass(frozen=True)
class DeliveryResult:
    """What became of one attempt, as the sender decided it."""

    id: int
    subscriber_id: int
    state: DeliveryState  # one of RESULT_STATES
    attempts: int
    reply: str | None = None
    error: str | None = None
    next_attempt_at: datetime | None = None
    bounced: bool = False  # a hard bounce: the subscriber is suppressed


@dataclass(frozen=True)
class Claim:
    """The rows one sender holds (claimed or sending) for a digest, and its latest
    sign of life."""

    claimed_by: str | None
    last_seen: datetime | None
    rows: int


@dataclass(frozen=True)
class Recovered:
    released: int  # claimed rows handed back to pending: no server ever saw them
    unknown: int  # sending rows: maybe delivered, so not re-sent by default


class DeliveriesSql(SqlBase):
    """Digests' deliveries: queue, claim, advance, recover, count."""

    def digest_to_send(self, week: str | None) -> DigestToSend | None:
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
        return max(count, 0)

    def delivery_claims(self, digest_id: int) -> list[Claim]:
        query = (
            select(Delivery.claimed_by, func.max(Delivery.claimed_at), func.count())
            .where(Delivery.digest_id == digest_id, Delivery.state.in_(HELD))
            .group_by(Delivery.claimed_by)
        )
        with self._core() as connection:
            return [Claim(by, seen, int(n)) for by, seen, n in connection.execute(query)]

    def recover_claims(self, digest_id: int, claimers: Sequence[str | None]) -> Recovered:
        released = unknown = 0
        with self._core() as connection:
            for claimer in claimers:
                mine = (
                    Delivery.claimed_by.is_(None)
                    if claimer is None
                    else (Delivery.claimed_by == claimer)
                )
                base = update(Delivery).where(Delivery.digest_id == digest_id, mine)
                released += connection.execute(
                    base.where(Delivery.state == _S.CLAIMED).values(
                        state=_S.PENDING, claimed_by=None, claimed_at=None
                    )
                ).rowcount
                unknown += connection.execute(
                    base.where(Delivery.state == _S.SENDING).values(
                        state=_S.UNKNOWN, error="its sender stopped while sending it"
                    )
                ).rowcount
        return Recovered(released=released, unknown=unknown)

    def requeue_unknown(self, digest_id: int) -> int:
        statement = (
            update(Delivery)
            .where(Delivery.digest_id == digest_id, Delivery.state == _S.UNKNOWN)
            .values(state=_S.PENDING, claimed_by=None, claimed_at=None)
        )
        with self._core() as connection:
            return connection.execute(statement).rowcount

    def claim_deliveries(
        self,
        digest_id: int,
        claimer: str,
        now: datetime,
        limit: int,
        message_id: Callable[[int], str],
    ) -> list[DeliveryJob]:
        with self._core() as connection:
            claim = functools.partial(self._claim_state, connection, digest_id, claimer, now)
            rows = claim(_S.PENDING, limit)
            if len(rows) < limit:
                rows += claim(_S.RETRY, limit - len(rows))
            if not rows:
                return []
            subscribers = {
                row.id: row
                for row in connection.execute(
                    select(
                        Subscriber.id,
                        Subscriber.email,
                        Subscriber.email_key,
                        Subscriber.name,
                        Subscriber.state,
                    ).where(Subscriber.id.in_({row.subscriber_id for row in rows}))
                )
            }
            gone = [
                row.id
                for row in rows
                if subscribers[row.subscriber_id].state != SubscriberState.ACTIVE
            ]
            if gone:
                connection.execute(
                    update(Delivery)
                    .where(Delivery.id.in_(gone))
                    .values(state=_S.SKIPPED, error=SKIPPED, claimed_at=now)
                )
        return [
            _job(row, subscribers[row.subscriber_id], message_id)
            for row in sorted(rows, key=lambda row: row.id)
            if subscribers[row.subscriber_id].state == SubscriberState.ACTIVE
        ]

    def _claim_state(
        self,
        connection: Connection,
        digest_id: int,
        claimer: str,
        now: datetime,
        state: DeliveryState,
        limit: int,
    ) -> list[Any]:
        # One state per query, so the (digest_id, state, id) index hands rows over in id
        # order without sorting the whole list on every claim.
        due = select(Delivery.id).where(Delivery.digest_id == digest_id, Delivery.state == state)
        if state == _S.RETRY:
            due = due.where(Delivery.next_attempt_at <= now)
        due = due.order_by(Delivery.id).limit(limit)
        if self.dialect == "postgresql":
            due = due.with_for_update(skip_locked=True)
        statement = (
            update(Delivery)
            .where(Delivery.id.in_(due))
            .values(state=_S.CLAIMED, claimed_by=claimer, claimed_at=now)
            .returning(Delivery.id, Delivery.subscriber_id, Delivery.message_id, Delivery.attempts)
        )
        return list(connection.execute(statement))

    def open_delivery_writer(self, claimer: str) -> DeliveryWriter:
        return DeliveryWriter(self.engine, claimer)

    def renew_claims(self, digest_id: int, claimer: str, now: datetime) -> int:
        # The heartbeat runs beside the workers, whose commits lock up to two batches of
        # these rows each (the messages sent and the next ones marked sending). Locking the
        # rows in id order and skipping those a worker holds means the heartbeat never waits
        # on a worker, so the two can never deadlock; a skipped row was just touched by its
        # worker anyway.
        held = (
            select(Delivery.id)
            .where(
                Delivery.digest_id == digest_id,
                Delivery.claimed_by == claimer,
                Delivery.state.in_(HELD),
            )
            .order_by(Delivery.id)
            .with_for_update(skip_locked=True)
        )
        statement = update(Delivery).where(Delivery.id.in_(held)).values(claimed_at=now)
        with self._core() as connection:
            return connection.execute(statement).rowcount

    def release_claims(self, digest_id: int, claimer: str) -> int:
        statement = (
            update(Delivery)
            .where(
                Delivery.digest_id == digest_id,
                Delivery.claimed_by == claimer,
                Delivery.state == _S.CLAIMED,
            )
            .values(state=_S.PENDING, claimed_by=None, claimed_at=None)
        )
        with self._core() as connection:
            return connection.execute(statement).rowcount

    def delivery_counts(self, digest_id: int) -> dict[DeliveryState, int]:
        counts = dict.fromkeys(DeliveryState, 0)
        query = (
            select(Delivery.state, func.count())
            .where(Delivery.digest_id == digest_id)
            .group_by(Delivery.state)
        )
        with self._core() as connection:
            counts.update({_S(state): int(n) for state, n in connection.execute(query)})
        return counts

    def due_count(self, digest_id: int, now: datetime) -> int:
        pending = select(func.count()).where(
            Delivery.digest_id == digest_id, Delivery.state == _S.PENDING
        )
        retry = select(func.count()).where(
            Delivery.digest_id == digest_id,
            Delivery.state == _S.RETRY,
            Delivery.next_attempt_at <= now,
        )
        with self._core() as connection:
            return int(connection.scalar(pending) or 0) + int(connection.scalar(retry) or 0)

    def next_retry_at(self, digest_id: int) -> datetime | None:
        query = select(func.min(Delivery.next_attempt_at)).where(
            Delivery.digest_id == digest_id, Delivery.state == _S.RETRY
        )
        with self._core() as connection:
            value = connection.scalar(query)
        return value if isinstance(value, datetime) else None


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
    )


def audience_insert(dialect: str, digest_id: int, until_sending: bool = False) -> Any:
    """One pending delivery per active subscriber, in one INSERT … SELECT: the digest's
    audience, frozen. A subscriber queued already is left alone. ``until_sending``: only
    while none of the digest's rows has been tried yet (see ``queue_new_subscribers``).
    Nobody gets a digest dated before they confirmed: a digest built late (its date is
    its week's send time) or sent days after it was built does not reach who joined
    since (subscribers without a confirmation date, from old imports, are in)."""
    dated = select(Digest.built_at).where(Digest.id == digest_id).scalar_subquery()
    audience = select(
        literal(digest_id), Subscriber.id, literal(_S.PENDING.value), literal(0)
    ).where(
        Subscriber.state == SubscriberState.ACTIVE,
        Subscriber.confirmed_at.is_(None) | (Subscriber.confirmed_at <= dated),
    )
    if until_sending:
        begun = select(Delivery.id).where(
            Delivery.digest_id == digest_id,
            (Delivery.state != _S.PENDING) | (Delivery.attempts > 0),
        )
        audience = audience.where(~begun.exists())
    return (
        dialect_insert(dialect, Delivery)
        .from_select(["digest_id", "subscriber_id", "state", "attempts"], audience)
        .on_conflict_do_nothing(index_elements=["digest_id", "subscriber_id"])
        # SQLAlchemy reports an INSERT's rowcount only when asked to.
        .execution_options(preserve_rowcount=True)
    )
