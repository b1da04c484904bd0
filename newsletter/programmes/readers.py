"""What a reader does with programmes, and what they see of their place in one.

Readers join on the sign-up form (a wish, kept as a waiting enrolment until they confirm
their address: the programme then starts on the day they confirm), on the confirmation
page, and on their preferences page, which every digest's footer links to ("Start …",
:func:`offer_titles`); there they pause, resume, leave or start again. Which buttons a
reader is offered follows from where they are (:func:`offered`, pure). Each form names the
place it was shown for (``seen``): a form sent twice, or sent after the reader changed
something in another tab, changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Literal

from newsletter.config import Newsletter
from newsletter.config.settings import SendOn
from newsletter.errors import ConfigError
from newsletter.programmes.due import join
from newsletter.programmes.file import load_site_programmes
from newsletter.programmes.model import Programme
from newsletter.programmes.schedule import joining_day
from newsletter.store import SqlStore
from newsletter.store.programmes import EnrolmentRecord, EnrolmentState

Action = Literal["join", "pause", "resume", "leave", "restart"]
ACTIONS: tuple[Action, ...] = ("join", "pause", "resume", "leave", "restart")
# Where a reader is, as they see it: "none" is not joined (a wish not yet confirmed too).
Where = Literal["none", "active", "paused", "finished", "left"]
WHERE: dict[EnrolmentState, Where] = {
    EnrolmentState.WAITING: "none",
    EnrolmentState.ACTIVE: "active",
    EnrolmentState.PAUSED: "paused",
    EnrolmentState.FINISHED: "finished",
    EnrolmentState.LEFT: "left",
}
_SET: dict[Action, EnrolmentState] = {
    "pause": EnrolmentState.PAUSED,
    "resume": EnrolmentState.ACTIVE,
    "leave": EnrolmentState.LEFT,
}


@dataclass(frozen=True)
class Place:
    """A reader's place in one programme, and what they may do from there."""

    programme: Programme
    where: Where
    steps_sent: int  # emails of the programme they had (queued)
    next_day: date | None  # active: the day the next email may come
    actions: tuple[Action, ...]

    @property
    def seen(self) -> str:
        """What a form shown for this place carries back (see the module's docstring)."""
        return f"{self.where}-{self.steps_sent}"


def offered(where: Where, steps_sent: int) -> tuple[Action, ...]:
    """The buttons of a place: leaving and coming back carries on where the reader was;
    starting again goes back to the first email."""
    if where == "active":
        return ("pause", "leave")
    if where == "paused":
        return ("resume", "restart", "leave")
    if where == "finished":
        return ("restart",)
    if where == "left" and steps_sent:
        return ("join", "restart")
    return ("join",)


def action_of(text: str) -> Action | None:
    """A form's action, if it is one."""
    return next((action for action in ACTIONS if action == text), None)


def next_step_day(due_on: date, now: datetime, send_on: SendOn, timezone: str) -> date:
    """The day the next step may come: its own day, or today when that has passed (the
    run queues it at the send hour, or at its next run after it), never the digest's day."""
    day = max(due_on, joining_day(now, timezone))
    return day + timedelta(days=1) if day.weekday() == send_on.weekday else day


def place(
    programme: Programme,
    found: EnrolmentRecord | None,
    now: datetime,
    send_on: SendOn,
    timezone: str,
) -> Place:
    """Where a reader with enrolment ``found`` (None: never joined) is in ``programme``;
    ``send_on`` and ``timezone``: the site's digest day and time, and its timezone."""
    if found is None or found.state == EnrolmentState.WAITING:
        return Place(programme, "none", 0, None, offered("none", 0))
    where, next_day = WHERE[found.state], None
    if found.state == EnrolmentState.ACTIVE and found.due_on is not None:
        due = date.fromisoformat(found.due_on)
        next_day = next_step_day(due, now, send_on, timezone)
    return Place(programme, where, found.steps_sent, next_day, offered(where, found.steps_sent))


def places(
    store: SqlStore,
    subscriber_id: int,
    programmes: Sequence[Programme],
    now: datetime,
    send_on: SendOn,
    timezone: str,
) -> list[Place]:
    """The reader's place in each of the site's programmes, in the file's order."""
    enrolments = {e.programme: e for e in store.enrolments(subscriber_id)}
    return [place(p, enrolments.get(p.key), now, send_on, timezone) for p in programmes]


def act(
    newsletter: Newsletter,
    store: SqlStore,
    subscriber_id: int,
    programme: Programme,
    action: Action,
    seen: str,
    now: datetime,
) -> bool:
    """Do ``action`` when the reader is still where the form showed them (``seen``) and
    it is one of the buttons offered there; False when nothing changed."""
    enrolments = {e.programme: e for e in store.enrolments(subscriber_id)}
    found = enrolments.get(programme.key)
    here = place(programme, found, now, newsletter.send_on, newsletter.timezone)
    if here.seen != seen or action not in here.actions:
        return False
    if action in ("join", "restart"):
        join(newsletter, store, subscriber_id, programme, now, restart=action == "restart")
    else:
        store.set_enrolment_state(subscriber_id, programme.key, _SET[action], now)
    return True


def start_wished(
    newsletter: Newsletter,
    store: SqlStore,
    subscriber_id: int,
    programmes: Sequence[Programme],
    now: datetime,
) -> list[Programme]:
    """The address was confirmed: the programmes asked for on the sign-up form start
    today. Those started (a programme no longer in the file is left waiting)."""
    waiting = {
        e.programme for e in store.enrolments(subscriber_id) if e.state == EnrolmentState.WAITING
    }
    started = [p for p in programmes if p.key in waiting]
    for programme in started:
        join(newsletter, store, subscriber_id, programme, now)
    return started


def offer_titles(site_root: Path) -> tuple[str, ...]:
    """The titles a digest's footer offers ("Start …", a link to the reader's #programme)."""
    return tuple(p.title for p in offered_programmes(site_root))


def offered_programmes(site_root: Path) -> tuple[Programme, ...]:
    """The programmes readers are offered: the site's; none while programmes.yaml has a
    mistake (run's programmes step says what it is)."""
    try:
        return load_site_programmes(site_root)
    except ConfigError:
        return ()
