"""The asker's email: one message telling who asked a question that it is answered, sent
once.

A question gets one when it is approved, answered, and its asker gave an address and
agreed on the ask form. Its row in ``answer_emails`` is the ledger, kept by
``store/once_emails.py`` with the welcome's; a question has no row until its email is
claimed: ``sending`` at once, never ``due``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from newsletter.store.base import SqlBase
from newsletter.store.entries import EntryKind, EntryStatus
from newsletter.store.models import AnswerEmail, Entry
from newsletter.store.once_emails import OnceEmailState


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
                AnswerEmail.entry_id.is_(None) | (AnswerEmail.state == OnceEmailState.RETRY),
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
