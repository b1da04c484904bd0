"""The deliveries of digests in SQL: the sending half of
:class:`newsletter.store.delivery.DeliverySql` (documented on its ``DeliveryStore``)."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from newsletter.errors import StoreError
from newsletter.store.base import SqlBase
from newsletter.store.delivery_types import (
    DELIVERY_STATES,
    Claim,
    DeliveryJob,
    DeliveryResult,
    DigestToSend,
    Recovered,
)
from newsletter.store.delivery_writer import SKIPPED, DeliveryWriter, StartOutcome
from newsletter.store.models import Delivery, Digest, Subscriber

HELD = ("claimed", "sending")


class DeliveriesSql(SqlBase):
    """Digests' deliveries: queue, claim, advance, recover, count."""

    @contextmanager
    def _delivery_tx(self) -> Iterator[Connection]:
        """A Core transaction: the sender's hot path, one commit per message."""
        try:
            with self.engine.begin() as connection:
                yield connection
        except SQLAlchemyError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            raise StoreError(f"database error: {exc.__class__.__name__}: {first}") from None

    def digest_to_send(self, week: str | None) -> DigestToSend | None:
        query = select(
            Digest.id, Digest.week, Digest.subject, Digest.html, Digest.text, Digest.built_at
        )
        query = query.where(Digest.week == week) if week else query.order_by(Digest.week.desc())
        with self._delivery_tx() as connection:
            row = connection.execute(query.limit(1)).first()
        return DigestToSend(*row) if row else None

    def queue_deliveries(self, digest_id: int, now: datetime) -> int:
        with self._delivery_tx() as connection:
            count = connection.execute(audience_insert(self.dialect, digest_id)).rowcount
        return max(count, 0)

    def delivery_claims(self, digest_id: int) -> list[Claim]:
        query = (
            select(Delivery.claimed_by, func.max(Delivery.claimed_at), func.count())
            .where(Delivery.digest_id == digest_id, Delivery.state.in_(HELD))
            .group_by(Delivery.claimed_by)
        )
        with self._delivery_tx() as connection:
            return [Claim(by, seen, int(n)) for by, seen, n in connection.execute(query)]

    def recover_claims(self, digest_id: int, claimers: Sequence[str | None]) -> Recovered:
        released = unknown = 0
        with self._delivery_tx() as connection:
            for claimer in claimers:
                mine = (
                    Delivery.claimed_by.is_(None)
                    if claimer is None
                    else (Delivery.claimed_by == claimer)
                )
                base = update(Delivery).where(Delivery.digest_id == digest_id, mine)
                released += connection.execute(
                    base.where(Delivery.state == "claimed").values(
                        state="pending", claimed_by=None, claimed_at=None
                    )
                ).rowcount
                unknown += connection.execute(
                    base.where(Delivery.state == "sending").values(
                        state="unknown", error="its sender stopped while sending it"
                    )
                ).rowcount
        return Recovered(released=released, unknown=unknown)

    def requeue_unknown(self, digest_id: int) -> int:
        statement = (
            update(Delivery)
            .where(Delivery.digest_id == digest_id, Delivery.state == "unknown")
            .values(state="pending", claimed_by=None, claimed_at=None)
        )
        with self._delivery_tx() as connection:
            return connection.execute(statement).rowcount

    def claim_deliveries(
        self, digest_id: int, claimer: str, now: datetime, limit: int, message_id: tuple[str, str]
    ) -> list[DeliveryJob]:
        with self._delivery_tx() as connection:
            claim = functools.partial(self._claim_state, connection, digest_id, claimer, now)
            rows = claim("pending", limit)
            if len(rows) < limit:
                rows += claim("retry", limit - len(rows))
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
            gone = [row.id for row in rows if subscribers[row.subscriber_id].state != "active"]
            if gone:
                connection.execute(
                    update(Delivery)
                    .where(Delivery.id.in_(gone))
                    .values(state="skipped", error=SKIPPED, claimed_at=now)
                )
        prefix, suffix = message_id
        return [
            _job(row, subscribers[row.subscriber_id], prefix, suffix)
            for row in sorted(rows, key=lambda row: row.id)
            if subscribers[row.subscriber_id].state == "active"
        ]

    def _claim_state(
        self,
        connection: Connection,
        digest_id: int,
        claimer: str,
        now: datetime,
        state: str,
        limit: int,
    ) -> list[Any]:
        # One state per query, so the (digest_id, state, id) index hands rows over in id
        # order without sorting the whole list on every claim.
        due = select(Delivery.id).where(Delivery.digest_id == digest_id, Delivery.state == state)
        if state == "retry":
            due = due.where(Delivery.next_attempt_at <= now)
        due = due.order_by(Delivery.id).limit(limit)
        if self.dialect == "postgresql":
            due = due.with_for_update(skip_locked=True)
        statement = (
            update(Delivery)
            .where(Delivery.id.in_(due))
            .values(state="claimed", claimed_by=claimer, claimed_at=now)
            .returning(Delivery.id, Delivery.subscriber_id, Delivery.message_id, Delivery.attempts)
        )
        return list(connection.execute(statement))

    def open_delivery_writer(self, claimer: str) -> DeliveryWriter:
        return DeliveryWriter(self.engine, claimer)

    def advance_deliveries(
        self,
        finished: Sequence[DeliveryResult],
        start: DeliveryJob | None,
        claimer: str,
        now: datetime,
    ) -> StartOutcome | None:
        writer = DeliveryWriter(self.engine, claimer, keep=False)
        try:
            return writer.advance(finished, start, now)
        finally:
            writer.close()

    def renew_claims(self, digest_id: int, claimer: str, now: datetime) -> int:
        # The heartbeat runs beside the workers, whose commits lock two of these rows each
        # (the message sent and the next one marked sending). Locking the rows in id order
        # and skipping those a worker holds means the heartbeat never waits on a worker, so
        # the two can never deadlock; a skipped row was just touched by its worker anyway.
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
        with self._delivery_tx() as connection:
            return connection.execute(statement).rowcount

    def release_claims(self, digest_id: int, claimer: str) -> int:
        statement = (
            update(Delivery)
            .where(
                Delivery.digest_id == digest_id,
                Delivery.claimed_by == claimer,
                Delivery.state == "claimed",
            )
            .values(state="pending", claimed_by=None, claimed_at=None)
        )
        with self._delivery_tx() as connection:
            return connection.execute(statement).rowcount

    def delivery_counts(self, digest_id: int) -> dict[str, int]:
        counts = dict.fromkeys(DELIVERY_STATES, 0)
        query = (
            select(Delivery.state, func.count())
            .where(Delivery.digest_id == digest_id)
            .group_by(Delivery.state)
        )
        with self._delivery_tx() as connection:
            counts.update({state: int(n) for state, n in connection.execute(query)})
        return counts

    def due_count(self, digest_id: int, now: datetime) -> int:
        pending = select(func.count()).where(
            Delivery.digest_id == digest_id, Delivery.state == "pending"
        )
        retry = select(func.count()).where(
            Delivery.digest_id == digest_id,
            Delivery.state == "retry",
            Delivery.next_attempt_at <= now,
        )
        with self._delivery_tx() as connection:
            return int(connection.scalar(pending) or 0) + int(connection.scalar(retry) or 0)

    def next_retry_at(self, digest_id: int) -> datetime | None:
        query = select(func.min(Delivery.next_attempt_at)).where(
            Delivery.digest_id == digest_id, Delivery.state == "retry"
        )
        with self._delivery_tx() as connection:
            value = connection.scalar(query)
        return value if isinstance(value, datetime) else None


def _job(row: Any, subscriber: Any, prefix: str, suffix: str) -> DeliveryJob:
    """A claimed row and its subscriber. A row tried before keeps its Message-ID; a new one
    gets its id here, and the writer stores it with the row's `sending` mark."""
    message_id = row.message_id or f"{prefix}{row.subscriber_id}{suffix}"
    return DeliveryJob(
        row.id,
        row.subscriber_id,
        subscriber.email,
        subscriber.email_key,
        subscriber.name,
        message_id,
        row.attempts,
    )


def audience_insert(dialect: str, digest_id: int) -> Any:
    """One pending delivery per active subscriber, in one INSERT … SELECT: the digest's
    audience, frozen. A subscriber queued already is left alone."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    audience = select(literal(digest_id), Subscriber.id, literal("pending"), literal(0)).where(
        Subscriber.state == "active"
    )
    return (
        insert(Delivery)
        .from_select(["digest_id", "subscriber_id", "state", "attempts"], audience)
        .on_conflict_do_nothing(index_elements=["digest_id", "subscriber_id"])
        # SQLAlchemy reports an INSERT's rowcount only when asked to.
        .execution_options(preserve_rowcount=True)
    )
