"""What the owner's console reads and writes beyond the other capabilities' stores:
question edits and answers, subscriber search, history and erasure, digest history with
delivery counts, the subscriber growth chart's events, and "try this feed now".

An erased subscriber leaves only the SHA-256 of their address key in ``suppressions``
(see ``store/suppressions.py``), which keeps every insert path from adding them again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from newsletter.store.base import SqlBase
from newsletter.store.models import (
    AdminActivity,
    BounceEvent,
    Delivery,
    Digest,
    Entry,
    Feed,
    Subscriber,
    Suppression,
)
from newsletter.store.subscribers import SubscriberRecord, subscriber_record
from newsletter.store.suppressions import suppressed as _suppressed
from newsletter.store.suppressions import suppression_hash

SEARCH_LIMIT = 200


@dataclass(frozen=True)
class DigestHistory:
    week: str
    subject: str
    built_at: datetime
    item_count: int
    deliveries: dict[str, int]  # state → count
    bounced: int  # subscribers it went to who bounced after it was built
    unsubscribed: int  # … who unsubscribed after it was built
    complaints: int = 0  # spam complaints about it (feedback-loop reports, `bounces`)


@dataclass(frozen=True)
class Received:
    """One line of a subscriber's history: a digest meant for them."""

    week: str
    state: str
    sent_at: datetime | None


@dataclass(frozen=True)
class GrowthEvents:
    """When things happened to subscribers since a time (for the weekly chart)."""

    created: list[datetime]
    confirmed: list[datetime]
    unsubscribed: list[datetime]
    bounced: list[datetime]


class ConsoleSql(SqlBase):
    """What the owner's console does beyond the other families: edit and answer questions,
    find, look into and erase subscribers, and the overview's history and growth."""

    def edit_question(
        self, question_id: int, title: str, content_html: str, content_hash: str, now: datetime
    ) -> bool:
        values = {
            "title": title,
            "content_html": content_html,
            "content_hash": content_hash,
            "changed_at": now,
        }
        return self._update_question(question_id, values)

    def answer_question(self, question_id: int, answer_html: str | None, now: datetime) -> bool:
        """Store (or, with None, withdraw) the answer published with the question."""
        values = {"answer_html": answer_html, "answered_at": now if answer_html else None}
        return self._update_question(question_id, {**values, "changed_at": now})

    def _update_question(self, question_id: int, values: dict[str, Any]) -> bool:
        query = (
            update(Entry).where(Entry.id == question_id, Entry.kind == "question").values(**values)
        )
        with self._session() as session:
            return bool(getattr(session.execute(query), "rowcount", 0))

    def question_answers(self, question_ids: Sequence[int]) -> dict[int, str]:
        if not question_ids:
            return {}
        query = select(Entry.id, Entry.answer_html).where(
            Entry.id.in_(question_ids), Entry.answer_html.is_not(None)
        )
        with self._session() as session:
            return {qid: answer for qid, answer in session.execute(query) if answer}

    def search_subscribers(
        self, text: str, state: str | None, limit: int = SEARCH_LIMIT
    ) -> list[SubscriberRecord]:
        """Addresses containing ``text`` (case-insensitive), newest first."""
        query = select(Subscriber).order_by(Subscriber.id.desc()).limit(limit)
        if text:
            escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(Subscriber.email_key.like(f"%{escaped}%", escape="\\"))
        if state:
            query = query.where(Subscriber.state == state)
        return self._rows(query, subscriber_record)

    def subscriber_history(self, subscriber_id: int) -> list[Received]:
        query = (
            select(Digest.week, Delivery.state, Delivery.sent_at)
            .join(Digest, Delivery.digest_id == Digest.id)
            .where(Delivery.subscriber_id == subscriber_id)
            .order_by(Digest.week.desc())
        )
        with self._session() as session:
            return [Received(*row) for row in session.execute(query)]

    def erase_subscriber(self, subscriber_id: int, now: datetime) -> bool:
        """Delete the person's rows (deliveries, subscriber), their address wherever else it
        is (the activity log, questions they asked), and keep a hashed suppression."""
        with self._session() as session:
            found = session.get(Subscriber, subscriber_id)
            if found is None:
                return False
            key = found.email_key
            session.execute(delete(Delivery).where(Delivery.subscriber_id == subscriber_id))
            # Their address goes from the activity log and from questions they asked, too.
            session.execute(
                update(AdminActivity)
                # lower() on both sides: LIKE ignores case on SQLite but not on PostgreSQL.
                .where(func.lower(AdminActivity.subject).contains(key, autoescape=True))
                .values(subject="(erased on request)")
            )
            session.execute(
                update(Entry).where(func.lower(Entry.author_email) == key).values(author_email=None)
            )
            session.delete(found)
            session.flush()
            if not _suppressed(session, [key]):
                session.add(
                    Suppression(email_hash=suppression_hash(key), reason="erased", created_at=now)
                )
            return True

    def is_suppressed(self, email_key: str) -> bool:
        with self._session() as session:
            return bool(_suppressed(session, [email_key]))

    def digest_history(self, limit: int) -> list[DigestHistory]:
        digests = select(Digest).order_by(Digest.week.desc()).limit(limit)
        with self._session() as session:
            return [_history(session, row) for row in session.scalars(digests)]

    def growth_events(self, since: datetime) -> GrowthEvents:
        with self._session() as session:

            def times(column: Any) -> list[datetime]:
                return list(session.scalars(select(column).where(column >= since)))

            return GrowthEvents(
                created=times(Subscriber.created_at),
                confirmed=times(Subscriber.confirmed_at),
                unsubscribed=times(Subscriber.unsubscribed_at),
                bounced=times(Subscriber.bounced_at),
            )

    def try_feed_now(self, feed_id: int, now: datetime) -> bool:
        query = update(Feed).where(Feed.id == feed_id).values(next_attempt_at=now)
        with self._session() as session:
            return bool(getattr(session.execute(query), "rowcount", 0))


def _history(session: Session, row: Digest) -> DigestHistory:
    states = (
        select(Delivery.state, func.count())
        .where(Delivery.digest_id == row.id)
        .group_by(Delivery.state)
    )
    audience = select(Delivery.subscriber_id).where(Delivery.digest_id == row.id)
    after = select(func.count()).where(Subscriber.id.in_(audience))
    bounced = after.where(Subscriber.bounced_at >= row.built_at)
    left = after.where(
        Subscriber.unsubscribed_at >= row.built_at,
        or_(Subscriber.bounced_at.is_(None), Subscriber.bounced_at < row.built_at),
    )
    complaints = select(func.count()).where(
        BounceEvent.digest_id == row.id, BounceEvent.kind == "complaint"
    )
    return DigestHistory(
        week=row.week,
        subject=row.subject,
        built_at=row.built_at,
        item_count=row.item_count,
        deliveries={state: int(n) for state, n in session.execute(states)},
        bounced=int(session.scalar(bounced) or 0),
        unsubscribed=int(session.scalar(left) or 0),
        complaints=int(session.scalar(complaints) or 0),
    )
