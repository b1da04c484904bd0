"""The preferences page's use case: read a reader's choice, check a submitted form, save
what changed (with its words in their history)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from newsletter.store import SqlStore
from newsletter.store.preferences import StoredChoice
from newsletter.store.subscribers import SubscriberRecord
from newsletter.subscribers.preferences import (
    FORMATS,
    FREQUENCIES,
    PAUSE_WEEKS,
    Choice,
    Section,
    choice_from_stored,
    pause_end,
)

END_PAUSE = "end"


class BadChoice(ValueError):
    """A form this page did not send (a forged or hand-made POST)."""


@dataclass(frozen=True)
class Submitted:
    """A checked form: the new choice, or None when it would turn everything off (the page
    then offers unsubscribing instead of a digest with nothing in it)."""

    choice: Choice | None


def current_choice(subscriber: SubscriberRecord) -> Choice:
    return choice_from_stored(subscriber.choice, subscriber.frequency, subscriber.paused_until)


def read_form(
    get: Callable[[str], str | None],
    get_all: Callable[[str], list[str]],
    available: Sequence[Section],
    before: Choice,
    now: datetime,
) -> Submitted:
    """The form's fields: ``on`` (a section key per ticked box), ``frequency``, ``format``
    and ``pause`` ("" keeps the pause as it is, 2/4/8 weeks from now, or "end")."""
    keys = {s.key for s in available}
    on = set(get_all("on"))
    frequency, fmt, pause = get("frequency"), get("format"), get("pause") or ""
    if not on <= keys or frequency not in FREQUENCIES or fmt not in FORMATS:
        raise BadChoice("this form was not sent by the preferences page")
    paused_until = before.paused_until
    if pause == END_PAUSE:
        paused_until = None
    elif pause:
        if not pause.isdigit() or int(pause) not in PAUSE_WEEKS:
            raise BadChoice("a pause is 2, 4 or 8 weeks")
        paused_until = pause_end(int(pause), now)
    if not on:
        return Submitted(None)
    # Sections the page did not show (added to feeds.yaml since) stay as they were: on.
    off = frozenset(keys - on) | (before.off - keys)
    return Submitted(Choice(off, frequency, fmt, paused_until))


def save_choice(
    store: SqlStore,
    subscriber: SubscriberRecord,
    new: Choice,
    now: datetime,
    available: Sequence[Section] = (),
) -> bool:
    """Save a reader's new choice, from their next digest on; False when they are not active
    (a link from an old email of someone who left changes nothing)."""
    said = new.changes_from(current_choice(subscriber), now, available)  # none: no line
    stored = StoredChoice(new.stored, new.frequency, new.paused_until)
    return store.save_choice(subscriber.id, stored, said, now)
