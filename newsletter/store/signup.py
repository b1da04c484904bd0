"""Web sign-ups: the claim that lets one confirmation email go to an address per interval.

The subscribers table belongs to the delivery capability (``delivery_subscribers.py``);
this mixin adds only a compare-and-set on ``confirm_sent_at``, so that two sign-ups of
one address arriving together send one email, not two.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy import ColumnElement, update

from newsletter.store.base import SqlBase
from newsletter.store.delivery import DeliveryStore
from newsletter.store.models import Subscriber


class SignupStore(DeliveryStore, Protocol):
    """What the web sign-up asks of the database, beyond the subscriber list itself."""

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


class SignupSql(SqlBase):
    """Implements the two methods :class:`SignupStore` adds."""

    def claim_confirmation(
        self, subscriber_id: int, previous: datetime | None, now: datetime
    ) -> bool:
        query = update(Subscriber).where(
            Subscriber.id == subscriber_id,
            Subscriber.state == "pending",
            _stamp_is(previous),
        )
        with self._session() as session:
            changed = session.execute(query.values(confirm_sent_at=now))
            return bool(getattr(changed, "rowcount", 0))

    def release_confirmation(
        self, subscriber_id: int, claimed: datetime, previous: datetime | None
    ) -> None:
        query = update(Subscriber).where(Subscriber.id == subscriber_id, _stamp_is(claimed))
        with self._session() as session:
            session.execute(query.values(confirm_sent_at=previous))


def _stamp_is(value: datetime | None) -> ColumnElement[bool]:
    column = Subscriber.confirm_sent_at
    return column.is_(None) if value is None else column == value
