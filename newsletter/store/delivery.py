"""Subscribers and deliveries: :class:`DeliverySql`, the store's half of sending.

The rows' states are the progress of a send: nothing is remembered anywhere else, so a
crash, a pause or a second sender can never skip anyone (listmonk #3022). A row is
``sending``, committed, before its message reaches a server, and only what a dead sender
left ``sending`` can be in doubt afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Protocol

from newsletter.store.delivery_rows import DeliveriesSql
from newsletter.store.delivery_subscribers import SubscribersSql
from newsletter.store.delivery_types import (
    Claim,
    DeliveryJob,
    DeliveryResult,
    DigestToSend,
    NewSubscriber,
    Recovered,
    SubscriberRecord,
)
from newsletter.store.delivery_writer import DeliveryWriter, StartOutcome

__all__ = ["DeliverySql", "DeliveryStore", "DeliveryWriter", "StartOutcome"]


class DeliveryStore(Protocol):
    """What subscribers and sending ask of the database. Every method is one transaction;
    times are aware UTC; errors are StoreError."""

    @property
    def dialect(self) -> str:
        """'sqlite' or 'postgresql': SQLite has one sender at a time (no SKIP LOCKED)."""
        ...

    # subscribers (addresses arrive normalized: newsletter.subscribers.address)

    def subscriber(self, email_key: str) -> SubscriberRecord | None: ...

    def subscriber_by_id(self, subscriber_id: int) -> SubscriberRecord | None: ...

    def create_subscriber(self, new: NewSubscriber, now: datetime) -> SubscriberRecord | None:
        """None when the address exists already."""
        ...

    def set_subscriber_state(
        self, subscriber_id: int, state: str, now: datetime, expected: str | None = None
    ) -> SubscriberRecord | None:
        """Change the state (stamping confirmed_at, unsubscribed_at or bounced_at); with
        ``expected``, only from that state."""
        ...

    def mark_confirmation_sent(self, subscriber_id: int, now: datetime) -> None: ...

    def subscriber_states(self, email_keys: Sequence[str]) -> dict[str, tuple[int, str]]: ...

    def import_changes(
        self, new: Sequence[NewSubscriber], changes: Sequence[tuple[int, str]], now: datetime
    ) -> int: ...

    def iter_subscribers(self, states: Sequence[str] | None = None) -> Iterator[SubscriberRecord]:
        """By id, one page per transaction: flat in memory for any list."""
        ...

    def subscriber_counts(self) -> dict[str, int]: ...

    # deliveries

    def digest_to_send(self, week: str | None) -> DigestToSend | None:
        """That week's digest, or the latest one."""
        ...

    def queue_deliveries(self, digest_id: int, now: datetime) -> int:
        """One pending row per active subscriber not yet queued for the digest, in one
        INSERT … SELECT; returns how many were added."""
        ...

    def delivery_claims(self, digest_id: int) -> list[Claim]:
        """Who holds rows (claimed or sending) of the digest, and their last sign of life."""
        ...

    def recover_claims(self, digest_id: int, claimers: Sequence[str | None]) -> Recovered:
        """Rows of senders known dead: claimed → pending, sending → unknown."""
        ...

    def requeue_unknown(self, digest_id: int) -> int: ...

    def claim_deliveries(
        self, digest_id: int, claimer: str, now: datetime, limit: int, message_id: tuple[str, str]
    ) -> list[DeliveryJob]:
        """Take up to ``limit`` due rows (pending first, then retries whose time has come);
        rows of subscribers no longer active become skipped. ``message_id`` is the
        (prefix, suffix) around the subscriber id for a row that has no Message-ID yet (it
        is stored with the row's ``sending`` mark). On PostgreSQL concurrent claimers skip
        each other's rows (FOR UPDATE SKIP LOCKED)."""
        ...

    def advance_deliveries(
        self,
        finished: Sequence[DeliveryResult],
        start: DeliveryJob | None,
        claimer: str,
        now: datetime,
    ) -> StartOutcome | None:
        """Record finished attempts and mark the next row ``sending`` (storing its
        Message-ID), in one commit: 'lost' when the row is no longer ours, 'skipped' when
        its subscriber left meanwhile."""
        ...

    def open_delivery_writer(self, claimer: str) -> DeliveryWriter:
        """``advance_deliveries`` for one sender's worker, its SQL prepared once: the one
        commit per message, at a third of the cost. ``close()`` it when done."""
        ...

    def renew_claims(self, digest_id: int, claimer: str, now: datetime) -> int: ...

    def release_claims(self, digest_id: int, claimer: str) -> int:
        """Our claimed rows that no server saw go back to pending."""
        ...

    def delivery_counts(self, digest_id: int) -> dict[str, int]:
        """Rows of the digest per state, every state present."""
        ...

    def due_count(self, digest_id: int, now: datetime) -> int: ...

    def next_retry_at(self, digest_id: int) -> datetime | None: ...


class DeliverySql(SubscribersSql, DeliveriesSql):
    """Implements :class:`DeliveryStore`: subscribers, and the deliveries of digests."""
