"""What the ledgers of one-off emails share: one email to one person, sent once.

The asker's email (``answer_emails``) and the reader's welcome (``welcome_emails``) each
keep a row per email, keyed by what it is about (the question, the subscriber), in these
states::

    due ─claim─► sending ─250─► sent
                    │  └──4xx, no server reached──► retry ─claim─► sending …
                    └──5xx, or MAX_ATTEMPTS tries──► failed
    sending, its sender gone ─► stays sending: in doubt, never sent again

A welcome's row is written ``due`` when it is owed (the reader confirmed); an asker's has
no row until it is claimed, when it is written ``sending`` straight away. The claim
commits ``sending`` before the message reaches a server, and only the one who claimed
sends: two runs at once, or a run after a crash, never send it twice.

The ledgers are kept here, for both emails (``OnceEmail`` names which); which emails are
owed is each one's own question (``answer_emails.py``, ``welcome_emails.py``).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from newsletter.store.base import SqlBase, dialect_insert
from newsletter.store.models import AnswerEmail, Subscriber, WelcomeEmail
from newsletter.store.subscribers import SubscriberState

MAX_ATTEMPTS = 3  # tries (runs) before a one-off email is given up


class OnceEmailState(StrEnum):
    DUE = "due"  # owed, not tried yet
    SENDING = "sending"  # claimed: handed to the server, or in doubt if its sender died
    SENT = "sent"
    RETRY = "retry"  # not taken by any server yet: the next run tries again
    FAILED = "failed"  # refused for good, or MAX_ATTEMPTS tries


ONCE_EMAIL_TRANSITIONS: dict[OnceEmailState | None, frozenset[OnceEmailState]] = {
    None: frozenset({OnceEmailState.DUE, OnceEmailState.SENDING}),
    OnceEmailState.DUE: frozenset({OnceEmailState.SENDING}),
    OnceEmailState.SENDING: frozenset(
        {OnceEmailState.SENT, OnceEmailState.RETRY, OnceEmailState.FAILED}
    ),
    OnceEmailState.RETRY: frozenset({OnceEmailState.SENDING}),
    OnceEmailState.SENT: frozenset(),
    OnceEmailState.FAILED: frozenset(),
}
CLAIMABLE = (OnceEmailState.DUE, OnceEmailState.RETRY)


class OnceEmail(StrEnum):
    """Which one-off email: each has its ledger, keyed by what the email is about."""

    ANSWER = "answer"  # the asker's (answer_emails), by the question's id
    WELCOME = "welcome"  # the reader's welcome (welcome_emails), by the subscriber's id


class OnceEmailsSql(SqlBase):
    """The ledgers of the one-off emails: claim one, record what became of it, ask where
    it is."""

    def claim_once_email(self, email: OnceEmail, key: int, now: datetime) -> bool:
        """Mark the email ``sending``, committed; False when someone else did (or it was
        sent, or given up) meanwhile, or a welcome's reader left: then it is not ours to
        send."""
        with self._session() as session:
            if email is OnceEmail.ANSWER and _first_claim(session, key, now):
                return True
            return _claim_row(session, email, key, now)  # a retry, or a welcome

    def record_once_email(
        self,
        email: OnceEmail,
        key: int,
        state: OnceEmailState,
        now: datetime,
        message_id: str | None,
        error: str | None,
    ) -> None:
        """What became of the claimed email (one no longer ``sending`` is left alone)."""
        table = _table(email)
        with self._session() as session:
            session.execute(
                update(table)
                .where(_key(email) == key, table.state == OnceEmailState.SENDING)
                .values(state=state, updated_at=now, message_id=message_id, error=error)
            )

    def once_email_state(self, email: OnceEmail, key: int) -> OnceEmailState | None:
        """Where the email is (None: it has no row: not claimed, or not owed)."""
        with self._session() as session:
            found = session.scalar(select(_table(email).state).where(_key(email) == key))
        return None if found is None else OnceEmailState(found)


def _first_claim(session: Session, question_id: int, now: datetime) -> bool:
    """An asker's email has no row until it is claimed: write it ``sending``; False when
    it has one already."""
    inserted = session.scalar(
        dialect_insert(session, AnswerEmail)
        .values(entry_id=question_id, state=OnceEmailState.SENDING, attempts=1, updated_at=now)
        .on_conflict_do_nothing(index_elements=["entry_id"])
        .returning(AnswerEmail.entry_id)
    )
    return inserted is not None


def _claim_row(session: Session, email: OnceEmail, key: int, now: datetime) -> bool:
    """Move the email's row from due or retry to ``sending``, counting the try; False when
    it is not there to claim (someone else did, it was sent or given up meanwhile, or a
    welcome's reader is no longer active)."""
    table = _table(email)
    claimable = [_key(email) == key, table.state.in_(CLAIMABLE)]
    if email is OnceEmail.WELCOME:
        active = select(Subscriber.id).where(Subscriber.state == SubscriberState.ACTIVE)
        claimable.append(WelcomeEmail.subscriber_id.in_(active))
    claimed = session.execute(
        update(table)
        .where(*claimable)
        .values(state=OnceEmailState.SENDING, attempts=table.attempts + 1, updated_at=now)
    )
    return bool(getattr(claimed, "rowcount", 0))


def _key(email: OnceEmail) -> InstrumentedAttribute[int]:
    """The email's ledger's key column."""
    return AnswerEmail.entry_id if email is OnceEmail.ANSWER else WelcomeEmail.subscriber_id


def _table(email: OnceEmail) -> Any:
    """The ledger's model class (AnswerEmail, WelcomeEmail): each has the columns state,
    attempts, updated_at, message_id and error."""
    return _key(email).class_
