"""What sending asks of the database (implemented by :class:`newsletter.store.SqlStore`).

The rows' states are the progress of a send (``newsletter.store.deliveries``): nothing is
remembered anywhere else, so a crash, a pause or a second sender can never skip anyone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from newsletter.store.deliveries import Claim, DeliveryJob, DeliveryState, Recovered
from newsletter.store.delivery_writer import DeliveryWriter
from newsletter.store.digests import DigestToSend


class SendStore(Protocol):
    """The sender's store. Every method is one transaction; times are aware UTC; errors
    are StoreError."""

    @property
    def dialect(self) -> str:
        """'sqlite' or 'postgresql': SQLite has one sender at a time (no SKIP LOCKED)."""
        ...

    def digest_to_send(self, week: str | None) -> DigestToSend | None:
        """That week's digest, or the latest one."""
        ...

    def queue_new_subscribers(self, digest_id: int) -> int:
        """Queue subscribers who became active after the digest was built (and confirmed
        by its date), as long as none of its messages has been tried; returns how many."""
        ...

    def delivery_claims(self, digest_id: int) -> list[Claim]:
        """Who holds rows (claimed or sending) of the digest, and their last sign of life."""
        ...

    def recover_claims(self, digest_id: int, claimers: Sequence[str | None]) -> Recovered:
        """Rows of senders known dead: claimed → pending, sending → unknown."""
        ...

    def requeue_unknown(self, digest_id: int) -> int:
        """Rows in doubt (unknown) go back to pending: the owner chose to risk a duplicate."""
        ...

    def claim_deliveries(
        self,
        digest_id: int,
        claimer: str,
        now: datetime,
        limit: int,
        message_id: Callable[[int], str],
    ) -> list[DeliveryJob]:
        """Take up to ``limit`` due rows (pending first, then retries whose time has come);
        rows of subscribers no longer active become skipped. ``message_id`` makes, from the
        subscriber id, the Message-ID of a row that has none yet (it is stored with the
        row's ``sending`` mark). On PostgreSQL concurrent claimers skip
        each other's rows (FOR UPDATE SKIP LOCKED)."""
        ...

    def open_delivery_writer(self, claimer: str) -> DeliveryWriter:
        """One sender's worker's commits, its SQL prepared once: each records finished
        attempts, hands back marked rows never sent, and marks the next rows ``sending``
        (storing their Message-IDs) in one commit, answering for each 'lost' when the row is
        no longer ours, 'skipped' when its subscriber left meanwhile. ``close()`` it when
        done."""
        ...

    def renew_claims(self, digest_id: int, claimer: str, now: datetime) -> int:
        """The heartbeat: stamp our held rows with ``now``, never waiting on a worker."""
        ...

    def release_claims(self, digest_id: int, claimer: str) -> int:
        """Our claimed rows that no server saw go back to pending."""
        ...

    def delivery_counts(self, digest_id: int) -> dict[DeliveryState, int]:
        """Rows of the digest per state, every state present."""
        ...

    def due_count(self, digest_id: int, now: datetime) -> int:
        """Pending rows, and retries whose time has come."""
        ...

    def next_retry_at(self, digest_id: int) -> datetime | None:
        """When the earliest waiting retry is due, if any."""
        ...


class ConfirmStore(Protocol):
    """What sending confirmation emails writes."""

    def mark_confirmation_sent(self, subscriber_id: int, now: datetime) -> None:
        """Stamp ``confirm_sent_at``: the interval before another one may go counts from it."""
        ...
