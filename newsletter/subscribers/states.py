"""A subscriber's states and every change between them, as pure decisions.

    pending ──confirm──► active ──unsubscribe──► unsubscribed
       │                   │
       └───────────────────┴──hard bounce──► bounced

Unsubscribed and bounced rows are kept forever: that memory is what stops an import (or a
typo on the command line) from mailing someone who asked to leave. An unsubscribed person
comes back only by confirming again themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from newsletter.store.subscribers import SubscriberState

# The states and their transitions are defined once, with the table, in
# newsletter.store.subscribers (SubscriberState, SUBSCRIBER_TRANSITIONS).
STATES: tuple[SubscriberState, ...] = tuple(SubscriberState)
SUPPRESSED: tuple[SubscriberState, ...] = (SubscriberState.UNSUBSCRIBED, SubscriberState.BOUNCED)
LISTED: tuple[SubscriberState, ...] = (
    SubscriberState.ACTIVE,
    SubscriberState.PENDING,
)  # what `subscribers list` shows

ImportOutcome = Literal[
    "new", "activated", "unchanged", "kept_suppressed", "suppressed", "left_out"
]


@dataclass(frozen=True)
class AddDecision:
    state: SubscriberState | None  # the state to write; None: leave the row as it is
    send_confirmation: bool
    note: str  # what happened, for the person at the keyboard


def decide_add(current: SubscriberState | None, confirmed: bool) -> AddDecision:
    """`subscribers add` (and the web form, with confirmed=False)."""
    if current == SubscriberState.ACTIVE:
        return AddDecision(None, False, "already subscribed")
    if current == SubscriberState.UNSUBSCRIBED and confirmed:
        # Their own unsubscribe outranks the operator's say-so: they must opt in again.
        return AddDecision(
            None,
            False,
            "unsubscribed earlier, so not re-added; add it without --confirmed to send "
            "them a confirmation email",
        )
    if confirmed:
        note = (
            "active again (it had bounced)"
            if current == SubscriberState.BOUNCED
            else "added, active"
        )
        return AddDecision(SubscriberState.ACTIVE, False, note)
    if current is None:
        return AddDecision(SubscriberState.PENDING, True, "added, confirmation email sent")
    return AddDecision(SubscriberState.PENDING, True, f"{current}: confirmation email sent")


def decide_import(
    current: SubscriberState | None, wanted: SubscriberState
) -> tuple[SubscriberState | None, ImportOutcome]:
    """An imported row: (state to write or None, what happened). Imported addresses count
    as confirmed, but an address that unsubscribed or bounced here stays so."""
    if current in SUPPRESSED:
        return None, "kept_suppressed"
    if current is None:
        return wanted, "suppressed" if wanted in SUPPRESSED else "new"
    if wanted in SUPPRESSED:
        return wanted, "suppressed"  # they left on the list we import from: honour it
    if current == SubscriberState.PENDING and wanted == SubscriberState.ACTIVE:
        return SubscriberState.ACTIVE, "activated"
    return None, "unchanged"


def decide_confirm(current: SubscriberState) -> SubscriberState | None:
    """A confirm link: only a pending subscription becomes active. An old confirm link
    must never undo a later unsubscribe."""
    return SubscriberState.ACTIVE if current == SubscriberState.PENDING else None


def decide_unsubscribe(current: SubscriberState) -> SubscriberState | None:
    return None if current == SubscriberState.UNSUBSCRIBED else SubscriberState.UNSUBSCRIBED
