"""The deliveries' states and values: what the sender, the writer and the store's
deliveries half all speak (one module, so none of them imports another in a circle)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class DeliveryState(StrEnum):
    """Every state a delivery row can be in; newsletter.mail.decide decides the results."""

    PENDING = "pending"  # queued, never tried (or handed back untouched)
    RETRY = "retry"  # a temporary failure; due again at next_attempt_at
    CLAIMED = "claimed"  # taken by a sender (claimed_by), not yet talked about to any server
    SENDING = "sending"  # committed just before the server is given the message
    SENT = "sent"  # the server answered 250 (reply kept)
    FAILED = "failed"  # refused for good (5xx), or too many temporary failures
    # Left `sending` by a sender that died, before senders kept a journal (0.x): maybe
    # delivered, re-sent only when asked (--retry-unknown). Recovery no longer makes them.
    UNKNOWN = "unknown"
    SKIPPED = "skipped"  # the subscriber left after the digest was built


_S = DeliveryState
# Every change a row's state may make, and who makes it: claim_deliveries (pending or due
# retry → claimed; claimed → skipped for a subscriber who left), the writer (claimed →
# sending or skipped; sending → the attempt's result), release_claims (claimed → pending),
# recover_claims (a dead sender's rows: claimed → pending; sending → sent when its journal
# saw the server accept it, else pending) and requeue_unknown (unknown → pending). A row
# in doubt (unknown) still takes the result its own sender reports. Sent, failed and
# skipped are final.
DELIVERY_TRANSITIONS: dict[DeliveryState, frozenset[DeliveryState]] = {
    _S.PENDING: frozenset({_S.CLAIMED}),
    _S.RETRY: frozenset({_S.CLAIMED}),
    _S.CLAIMED: frozenset({_S.SENDING, _S.SKIPPED, _S.PENDING}),
    _S.SENDING: frozenset({_S.SENT, _S.FAILED, _S.RETRY, _S.PENDING, _S.UNKNOWN}),
    _S.UNKNOWN: frozenset({_S.PENDING, _S.SENT, _S.FAILED, _S.RETRY}),
    _S.SENT: frozenset(),
    _S.FAILED: frozenset(),
    _S.SKIPPED: frozenset(),
}
# What a sender may report for one attempt: sent, retry, failed, or pending (handed back,
# nothing was sent).
RESULT_STATES = frozenset({_S.SENT, _S.RETRY, _S.FAILED, _S.PENDING})
HELD = (_S.CLAIMED, _S.SENDING)  # rows a sender holds


@dataclass(frozen=True)
class MailingRef:
    """A programme mailing (one step as queued on one day) as the parent of deliveries; a
    bare ``int`` is a digest's id. Both share the ledger and its sender."""

    id: int


Parent = int | MailingRef  # whose deliveries: a digest's id, or a programme mailing


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
    variant: str = ""  # the digest as the reader chose it (subscribers.preferences.Variant)


@dataclass(frozen=True)
class DeliveryResult:
    """What became of one attempt, as the sender decided it."""

    id: int
    subscriber_id: int
    state: DeliveryState  # one of RESULT_STATES
    attempts: int
    reply: str | None = None
    error: str | None = None
    next_attempt_at: datetime | None = None
    bounced: bool = False  # a hard bounce: the subscriber is suppressed


@dataclass(frozen=True)
class Claim:
    """The rows one sender holds (claimed or sending), and its latest sign of life."""

    claimed_by: str | None
    last_seen: datetime | None
    rows: int


@dataclass(frozen=True)
class Journaled:
    """What a dead sender's journal (newsletter.mail.journal) tells of the rows it held:
    those the server accepted, and those handed to the server with no answer seen. A row
    it held ``sending`` that is in neither never reached a server."""

    delivered: frozenset[int] = frozenset()
    in_doubt: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Recovered:
    """What recovering dead senders' rows did."""

    released: int = 0  # back to pending, no server having seen them
    delivered: int = 0  # sending, and accepted by the server by the journal: now sent
    # Sending, handed to the server with no answer seen (or no journal to tell): back to
    # pending, so sent again; the server may have taken it, so it may arrive twice.
    resent: int = 0
