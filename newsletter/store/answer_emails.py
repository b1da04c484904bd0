"""The asker's email: one message telling who asked a question that it is answered, sent
once.

A question gets one when it is approved, answered, and its asker gave an address and
agreed on the ask form. Its row in ``answer_emails`` is the ledger::

    (no row) ─claim─► sending ─250─► sent
                         │  └──4xx, no server reached──► retry ─claim─► sending …
                         └──5xx, or MAX_ATTEMPTS tries──► failed
    sending, its sender gone ─► stays sending: in doubt, never sent again

The claim commits ``sending`` before the message reaches a server, and only the one who
claimed sends: two runs at once, or a run after a crash, never send it twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import and_, select, update

from newsletter.store.base import SqlBase, dialect_insert
from newsletter.store.entries import EntryKind, EntryStatus
from newsletter.store.models import AnswerEmail, Entry

MAX_ATTEMPTS = 3  # tries (runs) before an answer email is given up


class AnswerEmailState(StrEnum):
    SENDING = "sending"  # claimed: handed to the server, or in doubt if its sender died
    SENT = "sent"
    RETRY = "retry"  # not taken by any server yet: the next run tries again
    FAILED = "failed"  # refused for good, or MAX_ATTEMPTS tries


ANSWER_EMAIL_TRANSITIONS: dict[AnswerEmailState | None, frozenset[AnswerEmailState]] = {
    None: frozenset({AnswerEmailState.SENDING}),
    AnswerEmailState.SENDING: frozenset(
        {AnswerEmailState.SENT, AnswerEmailState.RETRY, AnswerEmailState.FAILED}
    ),
    AnswerEmailState.RETRY: frozenset({AnswerEmailState.SENDING}),
    AnswerEmailState.SENT: frozenset(),
    AnswerEmailState.FAILED: frozenset(),
}


@dataclass(frozen=True)
class AnswerToTell:
    """A question whose asker is owed the email."""

    question_id: int
    title: str
    author: str | None
    email: str
    attempts: int  # tries so far


class AnswerEmailsSql(SqlBase):
    """The ledger of the askers' emails."""

    def answers_to_tell(self, limit: int) -> list[AnswerToTell]:
        """Up to ``limit`` answered, approved questions whose asker agreed to be told and has
        not been (no row yet, or a row waiting for a retry), oldest answer first."""
        query = (
            select(Entry.id, Entry.title, Entry.author, Entry.author_email, AnswerEmail.attempts)
            .outerjoin(AnswerEmail, AnswerEmail.entry_id == Entry.id)
            .where(
                Entry.kind == EntryKind.QUESTION,
                Entry.status == EntryStatus.APPROVED,
                Entry.answer_html.is_not(None),
                Entry.asker_wants_answer.is_(True),
                Entry.author_email.is_not(None),
                AnswerEmail.entry_id.is_(None) | (AnswerEmail.state == AnswerEmailState.RETRY),
            )
            .order_by(Entry.answered_at, Entry.id)
            .limit(limit)
        )
        with self._session() as session:
            return [
                AnswerToTell(qid, title, author, email, attempts or 0)
                for qid, title, author, email, attempts in session.execute(query)
                if email
            ]

    def claim_answer_email(self, question_id: int, now: datetime) -> bool:
        """Mark the question's email ``sending``, committed; False when someone else did
        (or it was sent, or given up) meanwhile: then it is not ours to send."""
        with self._session() as session:
            inserted = session.scalar(
                dialect_insert(session, AnswerEmail)
                .values(
                    entry_id=question_id,
                    state=AnswerEmailState.SENDING,
                    attempts=1,
                    updated_at=now,
                )
                .on_conflict_do_nothing(index_elements=["entry_id"])
                .returning(AnswerEmail.entry_id)
            )
            if inserted is not None:
                return True
            retried = session.execute(
                update(AnswerEmail)
                .where(
                    and_(
                        AnswerEmail.entry_id == question_id,
                        AnswerEmail.state == AnswerEmailState.RETRY,
                    )
                )
                .values(
                    state=AnswerEmailState.SENDING,
                    attempts=AnswerEmail.attempts + 1,
                    updated_at=now,
                )
            )
            return bool(getattr(retried, "rowcount", 0))

    def record_answer_email(
        self,
        question_id: int,
        state: AnswerEmailState,
        now: datetime,
        message_id: str | None = None,
        error: str | None = None,
    ) -> None:
        """What became of a claimed email."""
        with self._session() as session:
            session.execute(
                update(AnswerEmail)
                .where(
                    AnswerEmail.entry_id == question_id,
                    AnswerEmail.state == AnswerEmailState.SENDING,
                )
                .values(state=state, updated_at=now, message_id=message_id, error=error)
            )

    def answer_email_state(self, question_id: int) -> AnswerEmailState | None:
        """Where the question's email is (None: not claimed yet)."""
        with self._session() as session:
            found = session.scalar(
                select(AnswerEmail.state).where(AnswerEmail.entry_id == question_id)
            )
            return None if found is None else AnswerEmailState(found)
