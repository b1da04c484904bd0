"""Subscribers in SQL: the half of :class:`newsletter.store.delivery.DeliverySql` that
manages the list. Addresses arrive normalized (``newsletter.subscribers.address``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from newsletter.store.base import SqlBase
from newsletter.store.delivery_types import NewSubscriber, SubscriberRecord
from newsletter.store.models import Subscriber

CHUNK = 500  # keys per IN (...): well under every backend's parameter limit
PAGE = 1000  # rows per transaction when streaming the whole list
SUBSCRIBER_FIELDS = [f.name for f in dataclasses.fields(SubscriberRecord)]
# Core, not the ORM bulk insert, so RETURNING gives a row per address actually inserted.
SUBSCRIBERS = cast(Table, Subscriber.__table__)
STAMP = {"active": "confirmed_at", "unsubscribed": "unsubscribed_at", "bounced": "bounced_at"}


class SubscribersSql(SqlBase):
    def subscriber(self, email_key: str) -> SubscriberRecord | None:
        with self._session() as session:
            row = session.scalars(select(Subscriber).where(Subscriber.email_key == email_key))
            found = row.first()
            return _record(found) if found else None

    def subscriber_by_id(self, subscriber_id: int) -> SubscriberRecord | None:
        with self._session() as session:
            found = session.get(Subscriber, subscriber_id)
            return _record(found) if found else None

    def create_subscriber(self, new: NewSubscriber, now: datetime) -> SubscriberRecord | None:
        """Insert; None when the address exists already (another process may have added it
        since the caller looked)."""
        with self._session() as session:
            if not _insert(session, [new], now):
                return None
            row = session.scalars(select(Subscriber).where(Subscriber.email_key == new.email_key))
            return _record(row.one())

    def set_subscriber_state(
        self, subscriber_id: int, state: str, now: datetime, expected: str | None = None
    ) -> SubscriberRecord | None:
        """Change a state and stamp when; with ``expected``, only from that state (None when
        the row was elsewhere by then)."""
        query = update(Subscriber).where(Subscriber.id == subscriber_id)
        if expected is not None:
            query = query.where(Subscriber.state == expected)
        with self._session() as session:
            changed = session.execute(query.values(**_state_values(state, now)))
            if getattr(changed, "rowcount", 1) == 0:
                return None
            found = session.get(Subscriber, subscriber_id)
            return _record(found) if found else None

    def mark_confirmation_sent(self, subscriber_id: int, now: datetime) -> None:
        with self._session() as session:
            session.execute(
                update(Subscriber).where(Subscriber.id == subscriber_id).values(confirm_sent_at=now)
            )

    def subscriber_states(self, email_keys: Sequence[str]) -> dict[str, tuple[int, str]]:
        """{email key: (id, state)} for the keys that exist."""
        found: dict[str, tuple[int, str]] = {}
        with self._session() as session:
            for start in range(0, len(email_keys), CHUNK):
                chunk = email_keys[start : start + CHUNK]
                rows = session.execute(
                    select(Subscriber.email_key, Subscriber.id, Subscriber.state).where(
                        Subscriber.email_key.in_(chunk)
                    )
                )
                found.update({key: (sid, state) for key, sid, state in rows})
        return found

    def import_changes(
        self,
        new: Sequence[NewSubscriber],
        changes: Sequence[tuple[int, str]],
        now: datetime,
    ) -> int:
        """One transaction for a chunk of an import: insert the new addresses (an address
        added meanwhile is left alone) and move existing ones to their decided state."""
        with self._session() as session:
            inserted = _insert(session, new, now)
            for subscriber_id, state in changes:
                session.execute(
                    update(Subscriber)
                    .where(Subscriber.id == subscriber_id)
                    .values(**_state_values(state, now))
                )
            return inserted

    def iter_subscribers(self, states: Sequence[str] | None = None) -> Iterator[SubscriberRecord]:
        """Every subscriber (of those states) by id, a page per transaction: flat in memory
        however long the list."""
        after = 0
        while True:
            query = select(Subscriber).where(Subscriber.id > after)
            if states is not None:
                query = query.where(Subscriber.state.in_(states))
            with self._session() as session:
                page = [
                    _record(r) for r in session.scalars(query.order_by(Subscriber.id).limit(PAGE))
                ]
            yield from page
            if len(page) < PAGE:
                return
            after = page[-1].id

    def subscriber_counts(self) -> dict[str, int]:
        states = ("pending", "active", "unsubscribed", "bounced")
        counts = dict.fromkeys(states, 0)
        with self._session() as session:
            query = select(Subscriber.state, func.count()).group_by(Subscriber.state)
            counts.update({state: int(n) for state, n in session.execute(query)})
        return counts


def _record(row: Subscriber) -> SubscriberRecord:
    return SubscriberRecord(**{name: getattr(row, name) for name in SUBSCRIBER_FIELDS})


def _state_values(state: str, now: datetime) -> dict[str, Any]:
    values: dict[str, Any] = {"state": state}
    if state in STAMP:
        values[STAMP[state]] = now
    return values


def _insert(session: Any, new: Sequence[NewSubscriber], now: datetime) -> int:
    if not new:
        return 0
    # Every row with the same keys: one executemany needs one shape.
    unstamped = dict.fromkeys(STAMP.values())
    rows = [
        {**dataclasses.asdict(n), "created_at": now, **unstamped, **_state_values(n.state, now)}
        for n in new
    ]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(SUBSCRIBERS)
        .on_conflict_do_nothing(index_elements=["email_key"])
        .returning(SUBSCRIBERS.c.id)  # a row per address actually inserted
    )
    return len(session.execute(statement, rows).all())
