"""Reader questions in SQL: rows of ``entries`` with kind 'question'.

A question asked on the web has no feed (``feed_id`` NULL), a random key, and the asker's
name and address; the address is never published (no read of ``publish`` selects it).
Questions that arrive through a `kind: questions` feed are rows of the same table and can be
moderated the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from newsletter.store.base import SqlBase, record
from newsletter.store.entries import EntryKind, EntryStatus
from newsletter.store.models import Entry, Feed


@dataclass(frozen=True)
class NewQuestion:
    """A question ready to store: its text already checked and its body already HTML."""

    key: str  # unique among entries: "question:" and a random hex string
    title: str
    content_html: str
    content_hash: str
    author: str | None
    author_email: str | None
    asker_wants_answer: bool = False  # one email when it is answered (needs author_email)


@dataclass(frozen=True)
class QuestionRecord:
    id: int
    title: str
    content_html: str
    author: str | None
    author_email: str | None  # never published
    status: EntryStatus
    published_at: datetime  # when it was approved (web questions); the feed's date otherwise
    first_seen_at: datetime
    feed_name: str | None  # None: asked on the web
    asker_wants_answer: bool = False  # the asker agreed to one email when it is answered


class QuestionsSql(SqlBase):
    """Reader questions: asking, reading, moderating."""

    def add_question(self, new: NewQuestion, status: EntryStatus, now: datetime) -> QuestionRecord:
        """Insert a question asked now (no feed)."""
        row = question_row(new, status, now)
        with self._session() as session:
            session.add(row)
            session.flush()
            return _record(row, None)

    def question(self, question_id: int) -> QuestionRecord | None:
        """The question with that entry id; None when there is none (or it is an article)."""
        with self._session() as session:
            return _one(session, question_id)

    def questions(self, statuses: Sequence[EntryStatus] | None, limit: int) -> list[QuestionRecord]:
        """Up to ``limit`` questions (of those statuses), newest first."""
        query = (
            select(Entry, Feed.name)
            .outerjoin(Feed, Entry.feed_id == Feed.id)
            .where(Entry.kind == EntryKind.QUESTION)
            # Newest first by the question's own date: one collect stores a whole feed at
            # the same first_seen_at, in the feed's order.
            .order_by(Entry.published_at.desc(), Entry.first_seen_at.desc(), Entry.id.desc())
            .limit(limit)
        )
        if statuses is not None:
            query = query.where(Entry.status.in_(statuses))
        with self._session() as session:
            return [_record(row, name) for row, name in session.execute(query)]

    def question_counts(self) -> dict[EntryStatus, int]:
        """Questions per status, every status present."""
        counts = dict.fromkeys(EntryStatus, 0)
        query = (
            select(Entry.status, func.count())
            .where(Entry.kind == EntryKind.QUESTION)
            .group_by(Entry.status)
        )
        with self._session() as session:
            counts.update({EntryStatus(status): int(n) for status, n in session.execute(query)})
        return counts

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
        with self._session() as session:
            # FOR UPDATE on PostgreSQL: two moderators at once see each other's decision.
            row = session.get(Entry, question_id, with_for_update=True)
            if row is None or row.kind != EntryKind.QUESTION or row.status not in expected:
                return None
            row.status = status
            row.changed_at = now
            if status == EntryStatus.APPROVED and row.feed_id is None:
                row.published_at = row.first_seen_at = now
            session.flush()
            return _one(session, question_id)


def question_row(new: NewQuestion, status: EntryStatus, now: datetime) -> Entry:
    """The row of a question asked now (no feed), to add in the caller's transaction."""
    return Entry(
        key=new.key,
        kind=EntryKind.QUESTION,
        status=status,
        feed_id=None,
        title=new.title,
        summary_html="",
        content_html=new.content_html,
        author=new.author,
        author_email=new.author_email,
        asker_wants_answer=new.asker_wants_answer and new.author_email is not None,
        published_at=now,
        first_seen_at=now,
        changed_at=now,
        content_hash=new.content_hash,
    )


def _one(session: Session, question_id: int) -> QuestionRecord | None:
    query = (
        select(Entry, Feed.name)
        .outerjoin(Feed, Entry.feed_id == Feed.id)
        .where(Entry.id == question_id, Entry.kind == EntryKind.QUESTION)
    )
    found = session.execute(query).first()
    return None if found is None else _record(found[0], found[1])


def _record(row: Entry, feed_name: str | None) -> QuestionRecord:
    # A feed's question often has only a description (RSS) or summary (Atom).
    content = row.content_html or row.summary_html
    status = EntryStatus(row.status)
    return record(QuestionRecord, row, content_html=content, status=status, feed_name=feed_name)
