"""What the subscriber list asks of the database (implemented by
:class:`newsletter.store.SqlStore`). Addresses arrive normalized
(``newsletter.subscribers.address``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from newsletter.store.subscribers import (
    ImportApplied,
    NewSubscriber,
    StateChange,
    SubscriberRecord,
    SubscriberState,
)


class SubscriberStore(Protocol):
    """The subscriber service's store: adding, importing, confirming, unsubscribing. Every
    method is one transaction; times are aware UTC; errors are StoreError."""

    def subscriber(self, email_key: str) -> SubscriberRecord | None:
        """The subscriber with that (lower-cased) address, if any."""
        ...

    def subscriber_by_id(self, subscriber_id: int) -> SubscriberRecord | None: ...

    def create_subscriber(self, new: NewSubscriber, now: datetime) -> SubscriberRecord | None:
        """Insert; None when the address exists already (another process may have added
        it since the caller looked)."""
        ...

    def set_subscriber_state(
        self,
        subscriber_id: int,
        state: SubscriberState,
        now: datetime,
        expected: SubscriberState | None = None,
    ) -> SubscriberRecord | None:
        """Change the state (stamping confirmed_at, unsubscribed_at or bounced_at); with
        ``expected``, only from that state (None when the row was elsewhere by then)."""
        ...

    def subscriber_states(
        self, email_keys: Sequence[str]
    ) -> dict[str, tuple[int, SubscriberState]]:
        """{email key: (id, state)} for the keys that exist."""
        ...

    def import_changes(
        self,
        new: Sequence[NewSubscriber],
        changes: Sequence[StateChange],
        now: datetime,
    ) -> ImportApplied:
        """One transaction for a chunk of an import: insert the new addresses (an address
        added meanwhile, or erased on request, is left alone) and move existing ones to
        their decided state, each only from the state it was decided from; returns what
        was written."""
        ...


class SignupStore(SubscriberStore, Protocol):
    """The web sign-up's store: the list, plus the compare-and-set on ``confirm_sent_at``
    that lets two sign-ups of one address arriving together send one email, not two."""

    def mark_confirmation_sent(self, subscriber_id: int, now: datetime) -> None:
        """Stamp ``confirm_sent_at`` (what ``mail.confirm`` writes)."""
        ...

    def claim_confirmation(
        self, subscriber_id: int, previous: datetime | None, now: datetime
    ) -> bool:
        """Stamp ``confirm_sent_at = now`` if the subscriber is still pending and its stamp
        is still ``previous`` (what the caller read); False when someone else got there
        first or the subscriber is no longer pending."""
        ...

    def release_confirmation(
        self, subscriber_id: int, claimed: datetime, previous: datetime | None
    ) -> None:
        """Undo a claim whose email could not be sent (if the stamp is still ours), so the
        person can ask again at once."""
        ...
