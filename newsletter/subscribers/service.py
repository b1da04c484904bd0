"""Managing the list: add, import, remove, confirm and unsubscribe, over the store.

The decisions are :mod:`newsletter.subscribers.states`; this module reads the rows they
need and writes what they decide. Sending the confirmation email is the caller's next step
(``newsletter.mail.send_confirmations``), so this package never speaks SMTP.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from newsletter.errors import BadInput, NewsletterError
from newsletter.store import SqlStore
from newsletter.store.subscribers import (
    NewSubscriber,
    StateChange,
    SubscriberRecord,
    SubscriberSource,
    SubscriberState,
)
from newsletter.subscribers.address import Address, normalize_address
from newsletter.subscribers.csvio import BadRow, ImportRow, clean_name, read_rows
from newsletter.subscribers.states import (
    ImportOutcome,
    decide_add,
    decide_confirm,
    decide_import,
    decide_unsubscribe,
)
from newsletter.subscribers.tokens import Purpose, Tokens

CHUNK = 500  # import rows per transaction
MAX_TOKEN = 400  # characters; ours are under 100, so anything longer is not one of ours


class NotSubscribed(BadInput):
    """No subscriber has that address."""


class InvalidLink(NewsletterError):
    """A confirm or unsubscribe token that is forged, damaged, or for someone else."""


@dataclass(frozen=True)
class Added:
    email: str
    note: str
    subscriber: SubscriberRecord
    send_confirmation: bool


@dataclass
class ImportReport:
    new: int = 0
    activated: int = 0  # were pending, now active
    unchanged: int = 0  # already active (or pending and the file says pending)
    kept_suppressed: int = 0  # unsubscribed or bounced here: left so
    suppressed: int = 0  # the file says unsubscribed or bounced
    duplicates: int = 0  # the same address again further down the file
    left_out: int = 0  # erased on request, or added or changed by someone else meanwhile
    bad: list[BadRow] = field(default_factory=list)

    def count(self, outcome: ImportOutcome) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)

    def summary(self) -> str:
        text = (
            f"imported {self.new} new subscriber(s) as confirmed, {self.activated} pending "
            f"made active, {self.unchanged} already subscribed; {self.kept_suppressed} "
            f"unsubscribed or bounced earlier and left so"
        )
        if self.suppressed:
            text += f"; {self.suppressed} recorded as unsubscribed or bounced, as the file says"
        if self.duplicates:
            text += f"; {self.duplicates} duplicate row(s) ignored"
        if self.left_out:
            text += f"; {self.left_out} left as they were (erased on request, or changed meanwhile)"
        return text + (f"; {len(self.bad)} bad row(s) skipped" if self.bad else "")


def add_subscribers(
    store: SqlStore,
    emails: Sequence[str],
    confirmed: bool,
    now: datetime,
    source: SubscriberSource = SubscriberSource.CLI,
    name: str | None = None,
) -> list[Added]:
    """Add addresses (all checked first: one invalid address adds none). Without
    ``confirmed`` they are pending and need the confirmation email (``send_confirmation``)."""
    addresses = _unique(normalize_address(email) for email in emails)
    return [_add(store, address, confirmed, now, source, clean_name(name)) for address in addresses]


def _add(
    store: SqlStore,
    address: Address,
    confirmed: bool,
    now: datetime,
    source: SubscriberSource,
    name: str | None,
) -> Added:
    for _ in range(2):  # a second look if someone else adds the address meanwhile
        existing = store.subscriber(address.key)
        decision = decide_add(_state(existing), confirmed)
        if existing is None:
            new = NewSubscriber(
                address.email, address.key, name, decision.state or SubscriberState.PENDING, source
            )
            record = store.create_subscriber(new, now)
        elif decision.state is None:
            record = existing
        else:
            # Only from the state decided on: an unsubscribe landing meanwhile must win.
            record = store.set_subscriber_state(
                existing.id, decision.state, now, expected=existing.state
            )
        if record is not None:
            return Added(record.email, decision.note, record, decision.send_confirmation)
    raise NewsletterError(f"{address.email} changed while being added; try again")


def remove_subscriber(store: SqlStore, email: str, now: datetime) -> str:
    """Unsubscribe an address; the row is kept so no import brings it back."""
    address = normalize_address(email)
    existing = store.subscriber(address.key)
    if existing is None:
        raise NotSubscribed(f"{address.email} is not on the list")
    if decide_unsubscribe(_state(existing) or SubscriberState.PENDING) is None:
        return f"{existing.email} was already unsubscribed"
    store.set_subscriber_state(existing.id, SubscriberState.UNSUBSCRIBED, now)
    return f"{existing.email} unsubscribed (kept on file, so no import brings it back)"


def import_subscribers(store: SqlStore, lines: Iterable[str], now: datetime) -> ImportReport:
    """Import ``email[,name]`` rows as confirmed, except addresses that unsubscribed or
    bounced here before. Flat in memory: a chunk of rows at a time."""
    report = ImportReport()
    chunk: dict[str, ImportRow] = {}  # by key: the first row of an address wins
    for row in read_rows(lines):
        if isinstance(row, BadRow):
            report.bad.append(row)
        elif row.address.key in chunk:
            report.duplicates += 1
        else:
            chunk[row.address.key] = row
        if len(chunk) >= CHUNK:
            # A duplicate in a later chunk finds this row stored: it counts as unchanged.
            _import_chunk(store, list(chunk.values()), now, report)
            chunk = {}
    _import_chunk(store, list(chunk.values()), now, report)
    return report


def _import_chunk(
    store: SqlStore, rows: list[ImportRow], now: datetime, report: ImportReport
) -> None:
    if not rows:
        return
    existing = store.subscriber_states([row.address.key for row in rows])
    new: dict[str, tuple[NewSubscriber, ImportOutcome]] = {}
    changes: dict[int, tuple[StateChange, ImportOutcome]] = {}
    for row in rows:
        found = existing.get(row.address.key)
        state, outcome = decide_import(found[1] if found else None, row.state)
        if state is not None and found is None:
            new[row.address.key] = (row.subscriber(state), outcome)
        elif state is not None and found is not None:
            changes[found[0]] = (StateChange(found[0], found[1], state), outcome)
        else:
            report.count(outcome)
    applied = store.import_changes(
        [n for n, _ in new.values()], [c for c, _ in changes.values()], now
    )
    # Counted by what was written: a row erased on request, or changed meanwhile, is not new.
    for key, (_, outcome) in new.items():
        report.count(outcome if key in applied.inserted else "left_out")
    for subscriber_id, (_, outcome) in changes.items():
        report.count(outcome if subscriber_id in applied.changed else "left_out")


def confirm_subscription(
    store: SqlStore, tokens: Tokens, token: str, now: datetime
) -> SubscriberRecord:
    """A confirm link was followed: pending becomes active, owed its welcome email if it
    signed up on the web form (``store/welcome_emails.py``); any other state stays."""
    subscriber = linked_subscriber(store, tokens, "confirm", token)
    if decide_confirm(_state(subscriber) or SubscriberState.PENDING) is None:
        return subscriber
    return store.confirm_subscriber(subscriber.id, now) or subscriber


def unsubscribe_with_token(
    store: SqlStore, tokens: Tokens, token: str, now: datetime
) -> SubscriberRecord:
    """An unsubscribe link (or its one-click POST): unsubscribed at once, whatever the
    state; a second click changes nothing."""
    subscriber = linked_subscriber(store, tokens, "unsubscribe", token)
    if decide_unsubscribe(_state(subscriber) or SubscriberState.PENDING) is None:
        return subscriber
    return (
        store.set_subscriber_state(subscriber.id, SubscriberState.UNSUBSCRIBED, now) or subscriber
    )


def linked_subscriber(
    store: SqlStore, tokens: Tokens, purpose: Purpose, token: str
) -> SubscriberRecord:
    """The subscriber a link is for, changing nothing (the page a GET shows); InvalidLink
    for a token that is forged, altered, cut short, for another purpose or for an address
    that is no longer on file."""
    claims = tokens.read(purpose, token) if len(token) <= MAX_TOKEN else None
    subscriber = store.subscriber_by_id(claims.subscriber_id) if claims else None
    if claims is None or subscriber is None or not claims.matches(subscriber.email_key):
        raise InvalidLink(f"this {purpose} link is not valid; copy the whole link from the email")
    return subscriber


def _state(record: SubscriberRecord | None) -> SubscriberState | None:
    return None if record is None else record.state


def _unique(addresses: Iterable[Address]) -> list[Address]:
    seen: dict[str, Address] = {}
    for address in addresses:
        seen.setdefault(address.key, address)
    return list(seen.values())
