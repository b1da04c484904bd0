"""Subscribers: the list, its states, imports, and the compare-and-set that lets one
confirmation email go to an address per interval. Addresses arrive normalized
(``newsletter.subscribers.address``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, func, select, update
from sqlalchemy.orm import Session

from newsletter.store.base import SqlBase, dialect_insert, record
from newsletter.store.bounds import fit
from newsletter.store.models import Subscriber
from newsletter.store.suppressions import Suppressed, drop_suppressed


class SubscriberState(StrEnum):
    """Where a subscriber stands; the decisions between them are newsletter.subscribers.states.

    pending ──confirm──► active ──unsubscribe──► unsubscribed
       │                   │
       └───────────────────┴──hard bounce──► bounced
    """

    PENDING = "pending"  # signed up, not confirmed yet: receives nothing but the confirm email
    ACTIVE = "active"  # receives the digest
    UNSUBSCRIBED = "unsubscribed"  # asked to leave; kept so that no import brings them back
    BOUNCED = "bounced"  # the mailbox does not exist (a hard bounce); kept likewise


# Every change a subscriber's state may make (decided in newsletter.subscribers.states; the
# sender's hard bounce is the SQL of store.delivery_writer). Unsubscribed and bounced
# addresses come back only as pending (they confirm again themselves), or by an operator's
# confirmed add or import of a bounced address.
SUBSCRIBER_TRANSITIONS: dict[SubscriberState, frozenset[SubscriberState]] = {
    SubscriberState.PENDING: frozenset(
        {SubscriberState.ACTIVE, SubscriberState.UNSUBSCRIBED, SubscriberState.BOUNCED}
    ),
    SubscriberState.ACTIVE: frozenset({SubscriberState.UNSUBSCRIBED, SubscriberState.BOUNCED}),
    SubscriberState.UNSUBSCRIBED: frozenset({SubscriberState.PENDING}),
    # Unsubscribing outranks a bounce: a later re-add then needs their own opt-in again.
    SubscriberState.BOUNCED: frozenset(
        {SubscriberState.PENDING, SubscriberState.ACTIVE, SubscriberState.UNSUBSCRIBED}
    ),
}


class SubscriberSource(StrEnum):
    """How an address came onto the list."""

    WEB = "web"  # the sign-up form
    CLI = "cli"  # `subscribers add`
    IMPORT = "import"  # `subscribers import`


@dataclass(frozen=True)
class SubscriberRecord:
    id: int
    email: str  # as given, domain IDNA and lower-case
    email_key: str  # lower-cased: the identity
    name: str | None
    state: SubscriberState
    source: SubscriberSource
    created_at: datetime
    confirmed_at: datetime | None = None
    unsubscribed_at: datetime | None = None
    bounced_at: datetime | None = None
    confirm_sent_at: datetime | None = None
    choice: str = ""  # see newsletter.subscribers.preferences: format and sections left out
    frequency: str = "weekly"
    paused_until: datetime | None = None


@dataclass(frozen=True)
class NewSubscriber:
    email: str
    email_key: str
    name: str | None
    state: SubscriberState
    source: SubscriberSource
    choice: str = ""  # what they chose to get (an import of our own export carries it)
    frequency: str = "weekly"
    paused_until: datetime | None = None


@dataclass(frozen=True)
class StateChange:
    """An import's decision about an existing subscriber, made from the state it read."""

    subscriber_id: int
    expected: SubscriberState  # what the decision was made from
    state: SubscriberState


@dataclass(frozen=True)
class ImportApplied:
    """What a chunk of an import actually wrote."""

    inserted: frozenset[str]  # email keys
    changed: frozenset[int]  # subscriber ids


CHUNK = 500  # keys per IN (...): well under every backend's parameter limit
PAGE = 1000  # rows per transaction when streaming the whole list
# Core, not the ORM bulk insert, so RETURNING gives a row per address actually inserted.
SUBSCRIBERS = cast(Table, Subscriber.__table__)
STAMP = {
    SubscriberState.ACTIVE: "confirmed_at",
    SubscriberState.UNSUBSCRIBED: "unsubscribed_at",
    SubscriberState.BOUNCED: "bounced_at",
}


class SubscribersSql(SqlBase):
    """The subscribers table."""

    def subscriber(self, email_key: str) -> SubscriberRecord | None:
        """The subscriber with that (lower-cased) address, if any."""
        with self._session() as session:
            row = session.scalars(select(Subscriber).where(Subscriber.email_key == email_key))
            found = row.first()
            return subscriber_record(found) if found else None

    def subscriber_by_id(self, subscriber_id: int) -> SubscriberRecord | None:
        with self._session() as session:
            found = session.get(Subscriber, subscriber_id)
            return subscriber_record(found) if found else None

    def create_subscriber(self, new: NewSubscriber, now: datetime) -> SubscriberRecord | None:
        """Insert; None when the address exists already (another process may have added it
        since the caller looked)."""
        with self._session() as session:
            if not _insert(session, [new], now):
                if not drop_suppressed(session, [new]):
                    raise Suppressed(f"{new.email} was erased on request; it is not added again")
                return None
            row = session.scalars(select(Subscriber).where(Subscriber.email_key == new.email_key))
            return subscriber_record(row.one())

    def set_subscriber_state(
        self,
        subscriber_id: int,
        state: SubscriberState,
        now: datetime,
        expected: SubscriberState | None = None,
    ) -> SubscriberRecord | None:
        """Change a state and stamp when; with ``expected``, only from that state (None when
        the row was elsewhere by then)."""
        with self._session() as session:
            return change_state(session, subscriber_id, state, now, expected)

    def mark_confirmation_sent(self, subscriber_id: int, now: datetime) -> None:
        """Stamp ``confirm_sent_at``: the interval before another one may go counts from it."""
        with self._session() as session:
            session.execute(
                update(Subscriber).where(Subscriber.id == subscriber_id).values(confirm_sent_at=now)
            )

    def subscriber_states(
        self, email_keys: Sequence[str]
    ) -> dict[str, tuple[int, SubscriberState]]:
        """{email key: (id, state)} for the keys that exist."""
        found: dict[str, tuple[int, SubscriberState]] = {}
        with self._session() as session:
            for start in range(0, len(email_keys), CHUNK):
                chunk = email_keys[start : start + CHUNK]
                rows = session.execute(
                    select(Subscriber.email_key, Subscriber.id, Subscriber.state).where(
                        Subscriber.email_key.in_(chunk)
                    )
                )
                found.update({key: (sid, SubscriberState(state)) for key, sid, state in rows})
        return found

    def import_changes(
        self,
        new: Sequence[NewSubscriber],
        changes: Sequence[StateChange],
        now: datetime,
    ) -> ImportApplied:
        """One transaction for a chunk of an import: insert the new addresses (an address
        added meanwhile, or erased on request, is left alone) and move existing ones to
        their decided state, each only from the state it was decided from."""
        with self._session() as session:
            inserted = _insert(session, new, now)
            changed: set[int] = set()
            for change in changes:
                statement = (
                    update(Subscriber)
                    .where(Subscriber.id == change.subscriber_id)
                    .where(Subscriber.state == change.expected)
                    .values(**_state_values(change.state, now))
                    .returning(Subscriber.id)
                )
                changed.update(session.scalars(statement))
            return ImportApplied(frozenset(inserted), frozenset(changed))

    def iter_subscribers(
        self, states: Sequence[SubscriberState] | None = None
    ) -> Iterator[SubscriberRecord]:
        """Every subscriber (of those states) by id, a page per transaction: flat in memory
        however long the list."""
        after = 0
        while True:
            query = select(Subscriber).where(Subscriber.id > after)
            if states is not None:
                query = query.where(Subscriber.state.in_(states))
            with self._session() as session:
                page = [
                    subscriber_record(r)
                    for r in session.scalars(query.order_by(Subscriber.id).limit(PAGE))
                ]
            yield from page
            if len(page) < PAGE:
                return
            after = page[-1].id

    def subscriber_counts(self) -> dict[SubscriberState, int]:
        """Subscribers per state, every state present."""
        counts = dict.fromkeys(SubscriberState, 0)
        with self._session() as session:
            query = select(Subscriber.state, func.count()).group_by(Subscriber.state)
            counts.update({SubscriberState(state): int(n) for state, n in session.execute(query)})
        return counts

    # the web sign-up: one confirmation email per address per interval

    def claim_confirmation(
        self, subscriber_id: int, previous: datetime | None, now: datetime
    ) -> bool:
        """Stamp ``confirm_sent_at = now`` if the subscriber is still pending and its stamp
        is still ``previous`` (what the caller read); False when someone else got there
        first or the subscriber is no longer pending."""
        query = update(Subscriber).where(
            Subscriber.id == subscriber_id,
            Subscriber.state == SubscriberState.PENDING,
            _stamp_is(previous),
        )
        with self._session() as session:
            changed = session.execute(query.values(confirm_sent_at=now))
            return bool(getattr(changed, "rowcount", 0))

    def release_confirmation(
        self, subscriber_id: int, claimed: datetime, previous: datetime | None
    ) -> None:
        """Undo a claim whose email could not be sent (if the stamp is still ours), so the
        person can ask again at once."""
        query = update(Subscriber).where(Subscriber.id == subscriber_id, _stamp_is(claimed))
        with self._session() as session:
            session.execute(query.values(confirm_sent_at=previous))


def change_state(
    session: Session,
    subscriber_id: int,
    state: SubscriberState,
    now: datetime,
    expected: SubscriberState | None = None,
) -> SubscriberRecord | None:
    """:meth:`SubscribersSql.set_subscriber_state` inside a caller's transaction."""
    query = update(Subscriber).where(Subscriber.id == subscriber_id)
    if expected is not None:
        query = query.where(Subscriber.state == expected)
    changed = session.execute(query.values(**_state_values(state, now)))
    if getattr(changed, "rowcount", 1) == 0:
        return None
    found = session.get(Subscriber, subscriber_id)
    return subscriber_record(found) if found else None


def subscriber_record(row: Subscriber) -> SubscriberRecord:
    """The reader as the rest of the program sees them."""
    state, source = SubscriberState(row.state), SubscriberSource(row.source)
    return record(SubscriberRecord, row, state=state, source=source)


def _state_values(state: SubscriberState, now: datetime) -> dict[str, Any]:
    values: dict[str, Any] = {"state": state}
    if state in STAMP:
        values[STAMP[state]] = now
    return values


def _insert(session: Any, new: Sequence[NewSubscriber], now: datetime) -> list[str]:
    new = drop_suppressed(session, new)  # people erased on request never come back
    if not new:
        return []
    # Every row with the same keys: one executemany needs one shape.
    unstamped = dict.fromkeys(STAMP.values())
    rows = [
        fit(
            Subscriber,
            {
                **dataclasses.asdict(n),
                "created_at": now,
                **unstamped,
                **_state_values(n.state, now),
            },
        )
        for n in new
    ]
    statement = (
        dialect_insert(session, SUBSCRIBERS)
        .on_conflict_do_nothing(index_elements=["email_key"])
        .returning(SUBSCRIBERS.c.email_key)  # a row per address actually inserted
    )
    return list(session.scalars(statement, rows))


def _stamp_is(value: datetime | None) -> ColumnElement[bool]:
    column = Subscriber.confirm_sent_at
    return column.is_(None) if value is None else column == value
