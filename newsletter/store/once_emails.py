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
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

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


def claim_row(
    session: Session,
    key: InstrumentedAttribute[int],
    value: int,
    now: datetime,
    *also: ColumnElement[bool],
) -> bool:
    """Move the ledger row whose ``key`` is ``value`` from due or retry to ``sending``,
    counting the try; False when it is not there to claim (someone else did, or it was
    sent or given up meanwhile, or one of the conditions ``also`` fails)."""
    table = _table(key)
    claimed = session.execute(
        update(table)
        .where(key == value, table.state.in_(CLAIMABLE), *also)
        .values(state=OnceEmailState.SENDING, attempts=table.attempts + 1, updated_at=now)
    )
    return bool(getattr(claimed, "rowcount", 0))


def record_row(
    session: Session,
    key: InstrumentedAttribute[int],
    value: int,
    state: OnceEmailState,
    now: datetime,
    message_id: str | None,
    error: str | None,
) -> None:
    """What became of a claimed email (a row no longer ``sending`` is left alone)."""
    table = _table(key)
    session.execute(
        update(table)
        .where(key == value, table.state == OnceEmailState.SENDING)
        .values(state=state, updated_at=now, message_id=message_id, error=error)
    )


def row_state(
    session: Session, key: InstrumentedAttribute[int], value: int
) -> OnceEmailState | None:
    """Where the email is (None: no row)."""
    found = session.scalar(select(_table(key).state).where(key == value))
    return None if found is None else OnceEmailState(found)


def _table(key: InstrumentedAttribute[int]) -> Any:
    """The ledger's model class (AnswerEmail, WelcomeEmail): each has the columns state,
    attempts, updated_at, message_id and error."""
    return key.class_
