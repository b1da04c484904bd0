"""Plain values of subscribers and deliveries that cross the store's boundary."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# Every state a delivery row can be in; see newsletter/mail/decide.py for the machine.
DELIVERY_STATES = (
    "pending",  # queued, never tried (or handed back untouched)
    "retry",  # a temporary failure; due again at next_attempt_at
    "claimed",  # taken by a sender (claimed_by), not yet talked about to any server
    "sending",  # committed just before the server is given the message
    "sent",  # the server answered 250 (reply kept)
    "failed",  # refused for good (5xx), or too many temporary failures
    "unknown",  # left `sending` by a sender that died: maybe delivered, never re-sent blindly
    "skipped",  # the subscriber left after the digest was built
)


@dataclass(frozen=True)
class SubscriberRecord:
    id: int
    email: str  # as given, domain IDNA and lower-case
    email_key: str  # lower-cased: the identity
    name: str | None
    state: str  # pending | active | unsubscribed | bounced
    source: str  # web | cli | import
    created_at: datetime
    confirmed_at: datetime | None = None
    unsubscribed_at: datetime | None = None
    bounced_at: datetime | None = None
    confirm_sent_at: datetime | None = None


@dataclass(frozen=True)
class NewSubscriber:
    email: str
    email_key: str
    name: str | None
    state: str
    source: str


@dataclass(frozen=True)
class DigestToSend:
    """What the sender needs of a digest: its rendering, with the unsubscribe placeholder."""

    id: int
    week: str
    subject: str
    html: str
    text: str
    built_at: datetime


@dataclass(frozen=True)
class DeliveryJob:
    """A claimed delivery, with what its message needs to know of the subscriber."""

    id: int
    subscriber_id: int
    email: str
    email_key: str
    name: str | None
    message_id: str
    attempts: int  # attempts made before this one


@dataclass(frozen=True)
class DeliveryResult:
    """What became of one attempt, as the sender decided it."""

    id: int
    subscriber_id: int
    state: str  # sent | retry | failed | pending (handed back, nothing was sent)
    attempts: int
    reply: str | None = None
    error: str | None = None
    next_attempt_at: datetime | None = None
    bounced: bool = False  # a hard bounce: the subscriber is suppressed


@dataclass(frozen=True)
class Claim:
    """The rows one sender holds (claimed or sending) for a digest, and its latest
    sign of life."""

    claimed_by: str | None
    last_seen: datetime | None
    rows: int


@dataclass(frozen=True)
class Recovered:
    released: int  # claimed rows handed back to pending: no server ever saw them
    unknown: int  # sending rows: maybe delivered, so not re-sent by default
