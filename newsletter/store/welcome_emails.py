"""The reader's welcome email: one message the moment their subscription is confirmed, sent
once.

Confirming (pending → active by the confirm link) writes the welcome's row ``due`` in the
same transaction, so a confirmation never loses its welcome, whatever stops the process
after it; two clicks or two tabs confirm once, so they owe one. From there the row is a
one-off email's ledger (``store/once_emails.py``): claimed ``sending`` before the server
sees it, then sent, retry or failed. A reader gets one welcome ever: confirming again
after leaving finds the row there.

Only an address that signed up on the web form owes one. An import, or an operator's
`subscribers add` (with or without --confirmed), brings people from a list kept elsewhere,
often a whole list moving from another tool: they know the newsletter already, and a
welcome to each would be a burst of mail the owner did not ask for. A reader who leaves
(or bounces) before it goes does not get it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, select

from newsletter.store.base import SqlBase, dialect_insert
from newsletter.store.models import Subscriber, WelcomeEmail
from newsletter.store.once_emails import CLAIMABLE, OnceEmailState
from newsletter.store.subscribers import (
    SubscriberRecord,
    SubscriberSource,
    SubscriberState,
    change_state,
)


@dataclass(frozen=True)
class WelcomeToSend:
    """A reader owed their welcome."""

    subscriber_id: int
    email: str
    email_key: str
    name: str | None
    choice: str  # their preferences (newsletter.subscribers.preferences)
    frequency: str
    attempts: int  # tries so far

    @property
    def key(self) -> int:
        """Its ledger row's."""
        return self.subscriber_id


class WelcomeEmailsSql(SqlBase):
    """The ledger of the welcome emails."""

    def confirm_subscriber(self, subscriber_id: int, now: datetime) -> SubscriberRecord | None:
        """Pending becomes active (None when it was not pending by then) and, for a
        sign-up of the web form, its welcome is owed: one transaction."""
        with self._session() as session:
            confirmed = change_state(
                session, subscriber_id, SubscriberState.ACTIVE, now, SubscriberState.PENDING
            )
            if confirmed is not None and confirmed.source == SubscriberSource.WEB:
                session.execute(
                    dialect_insert(session, WelcomeEmail)
                    .values(
                        subscriber_id=subscriber_id,
                        state=OnceEmailState.DUE,
                        attempts=0,
                        created_at=now,
                        updated_at=now,
                    )
                    .on_conflict_do_nothing(index_elements=["subscriber_id"])
                )
            return confirmed

    def welcomes_due(self, limit: int, only: int | None = None) -> list[WelcomeToSend]:
        """Up to ``limit`` active readers owed their welcome (due, or waiting for a retry),
        who confirmed first first; with ``only``, that reader's, if it was never tried (a
        retry waits for a run)."""
        ledger: ColumnElement[bool] = WelcomeEmail.state.in_(CLAIMABLE)
        if only is not None:
            ledger = and_(
                WelcomeEmail.subscriber_id == only, WelcomeEmail.state == OnceEmailState.DUE
            )
        query = (
            select(
                Subscriber.id,
                Subscriber.email,
                Subscriber.email_key,
                Subscriber.name,
                Subscriber.choice,
                Subscriber.frequency,
                WelcomeEmail.attempts,
            )
            .join(Subscriber, Subscriber.id == WelcomeEmail.subscriber_id)
            .where(ledger, Subscriber.state == SubscriberState.ACTIVE)
            .order_by(WelcomeEmail.created_at, WelcomeEmail.subscriber_id)
            .limit(limit)
        )
        with self._session() as session:
            return [WelcomeToSend(*row) for row in session.execute(query)]
