"""What reader questions ask of the database (implemented by
:class:`newsletter.store.SqlStore`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from newsletter.store.entries import EntryStatus
from newsletter.store.questions import NewQuestion, QuestionRecord


class QuestionsStore(Protocol):
    """What ``newsletter.questions`` asks of the database. Every method is one
    transaction; times are aware UTC; errors are StoreError."""

    def add_question(self, new: NewQuestion, status: EntryStatus, now: datetime) -> QuestionRecord:
        """Insert a question asked now (no feed)."""
        ...

    def question(self, question_id: int) -> QuestionRecord | None:
        """The question with that entry id; None when there is none (or it is an article)."""
        ...

    def questions(self, statuses: Sequence[EntryStatus] | None, limit: int) -> list[QuestionRecord]:
        """Up to ``limit`` questions (of those statuses), newest first."""
        ...

    def question_counts(self) -> dict[EntryStatus, int]:
        """Questions per status, every status present."""
        ...

    def set_question_status(
        self,
        question_id: int,
        status: EntryStatus,
        now: datetime,
        expected: Sequence[EntryStatus],
    ) -> QuestionRecord | None:
        """Move a question from one of the ``expected`` statuses to ``status``; None when it
        does not exist or is in another status by now. A web question that becomes approved
        is dated ``now`` (published and first seen), so that the feeds show it as new and the
        next digest, which covers what was first seen since the previous one, carries it."""
        ...
