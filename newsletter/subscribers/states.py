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

State = Literal["pending", "active", "unsubscribed", "bounced"]
STATES: tuple[State, ...] = ("pending", "active", "unsubscribed", "bounced")
SUPPRESSED: tuple[State, ...] = ("unsubscribed", "bounced")
LISTED: tuple[State, ...] = ("active", "pending")  # what `subscribers list` shows by default

ImportOutcome = Literal["new", "activated", "unchanged", "kept_suppressed", "suppressed"]


@dataclass(frozen=True)
class AddDecision:
    state: State | None  # the state to write; None: leave the row as it is
    send_confirmation: bool
    note: str  # what happened, for the person at the keyboard


def decide_add(current: State | None, confirmed: bool) -> AddDecision:
    """`subscribers add` (and the web form, with confirmed=False)."""
    if current == "active":
        return AddDecision(None, False, "already subscribed")
    if current == "unsubscribed" and confirmed:
        # Their own unsubscribe outranks the operator's say-so: they must opt in again.
        return AddDecision(
            None,
            False,
            "unsubscribed earlier, so not re-added; add it without --confirmed to send "
            "them a confirmation email",
        )
    if confirmed:
        note = "active again (it had bounced)" if current == "bounced" else "added, active"
        return AddDecision("active", False, note)
    if current is None:
        return AddDecision("pending", True, "added, confirmation email sent")
    return AddDecision("pending", True, f"{current}: confirmation email sent")


def decide_import(current: State | None, wanted: State) -> tuple[State | None, ImportOutcome]:
    """An imported row: (state to write or None, what happened). Imported addresses count
    as confirmed, but an address that unsubscribed or bounced here stays so."""
    if current in SUPPRESSED:
        return None, "kept_suppressed"
    if current is None:
        return wanted, "suppressed" if wanted in SUPPRESSED else "new"
    if wanted in SUPPRESSED:
        return wanted, "suppressed"  # they left on the list we import from: honour it
    if current == "pending" and wanted == "active":
        return "active", "activated"
    return None, "unchanged"


def decide_confirm(current: State) -> State | None:
    """A confirm link: only a pending subscription becomes active. An old confirm link
    must never undo a later unsubscribe."""
    return "active" if current == "pending" else None


def decide_unsubscribe(current: State) -> State | None:
    return None if current == "unsubscribed" else "unsubscribed"
