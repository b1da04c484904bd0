"""The asker's email: one message telling who asked a question that it is answered, sent
once.

A question gets one when it is approved, answered, and its asker gave an address and
agreed on the ask form. Its row in ``answer_emails`` is the ledger (the states and the
claim are ``store/once_emails.py``'s, which the welcome email shares); a question has no
row until its email is claimed: ``sending`` at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from newsletter.store.base import SqlBase, dialect_insert
from newsletter.store.entries import EntryKind, EntryStatus
from newsletter.store.models import AnswerEmail, Entry
from newsletter.store.once_emails import (
    MAX_ATTEMPTS,
    ONCE_EMAIL_TRANSITIONS,
    OnceEmailState,
    claim_row,
    record_row,
    row_state,
)

__all__ = ["MAX_ATTEMPTS", "AnswerEmailState", "AnswerEmailsSql", "AnswerToTell"]

AnswerEmailState = OnceEmailState  # an answer's email is never ``due``: see above
ANSWER_EMAIL_TRANSITIONS = ONCE_EMAIL_TRANSITIONS


@dataclass(frozen=True)
class AnswerToTell:
    """A question whose asker is owed the email."""

    question_id: int
    title: str
    author: str | None
    email: str
    attempts: int  # tries so far

    @property
    def key(self) -> int:
        """Its ledger row's."""
        return self.question_id


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
            return claim_row(session, AnswerEmail.entry_id, question_id, now)  # a retry

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
            record_row(session, AnswerEmail.entry_id, question_id, state, now, message_id, error)

    def answer_email_state(self, question_id: int) -> AnswerEmailState | None:
        """Where the question's email is (None: not claimed yet)."""
        with self._session() as session:
            return row_state(session, AnswerEmail.entry_id, question_id)
