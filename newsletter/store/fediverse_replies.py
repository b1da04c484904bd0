"""Replies to our posts from the fediverse, in SQL: each is a reader question (a row of
``entries``, pending until approved) with whom to answer on the fediverse beside it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import select

from newsletter.store.base import SqlBase, record
from newsletter.store.entries import EntryStatus
from newsletter.store.models import Entry, FediverseReply
from newsletter.store.questions import NewQuestion, question_row


@dataclass(frozen=True)
class RemoteReply:
    """Who replied, where, and to which of our Notes."""

    note_id: str  # their Note: our answer replies to it
    in_reply_to: str  # our Note they replied to
    actor: str
    handle: str | None  # @user@host
    inbox: str | None  # where our answer goes (None: their actor names none)


@dataclass(frozen=True)
class ReplyRecord:
    """A reply as the owner sees it: the question it became, and its status."""

    entry_id: int
    title: str
    status: EntryStatus
    actor: str
    handle: str | None
    note_id: str
    in_reply_to: str
    received_at: datetime


class FediverseRepliesSql(SqlBase):
    """Replies kept as questions, and whom their answers go back to."""

    def add_reply_question(
        self, question: NewQuestion, reply: RemoteReply, now: datetime
    ) -> int | None:
        """Keep a reply as a pending question with its author's address on the fediverse,
        in one transaction; None when a question with its key exists (the same reply
        delivered twice). Returns the question's id."""
        with self._session() as session:
            if session.scalar(select(Entry.id).where(Entry.key == question.key)) is not None:
                return None
            row = question_row(question, EntryStatus.PENDING, now)
            session.add(row)
            session.flush()
            session.add(FediverseReply(entry_id=row.id, received_at=now, **asdict(reply)))
            return int(row.id)

    def replies_of(self, entry_ids: Sequence[int]) -> dict[int, RemoteReply]:
        """The questions among ``entry_ids`` that came as replies, by id."""
        if not entry_ids:
            return {}
        query = select(FediverseReply).where(FediverseReply.entry_id.in_(entry_ids))
        with self._session() as session:
            return {row.entry_id: record(RemoteReply, row) for row in session.scalars(query)}

    def recent_replies(self, limit: int) -> list[ReplyRecord]:
        """The newest ``limit`` replies, with the status of the question each became."""
        query = (
            select(FediverseReply, Entry.title, Entry.status)
            .join(Entry, Entry.id == FediverseReply.entry_id)
            .order_by(FediverseReply.received_at.desc(), FediverseReply.id.desc())
            .limit(limit)
        )
        with self._session() as session:
            return [
                record(ReplyRecord, row, title=title, status=EntryStatus(status))
                for row, title, status in session.execute(query)
            ]
