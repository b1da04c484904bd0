"""When a digest may be built and mailed: pure decisions on a week, the clock and the
weeks already built.

Sending to a list cannot be undone, so the rules are strict and the same whatever order
commands come in:

- nothing is mailed before its week's send time (``send_on`` in the newsletter's
  timezone), whatever the owner says;
- a digest older than the latest one already due is out of order, and a week that is
  over is late: both need the owner to say so (``--late``) to be built or sent;
- a future week may be built (and previewed): it simply waits for its send time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar
from zoneinfo import ZoneInfo

from newsletter.config import Newsletter
from newsletter.digest.weeks import send_time, week_bounds
from newsletter.errors import BadInput, NewsletterError


class NotDue(NewsletterError):
    """The digest's send time has not come: nothing may be mailed yet (exit 1: the
    command could not be done now; the same command works once the time has come)."""


class NeedsLate(BadInput):
    """A late or out-of-order digest, asked for without ``--late`` (exit 2)."""


def shown_time(at: datetime, newsletter: Newsletter) -> str:
    return at.astimezone(ZoneInfo(newsletter.timezone)).strftime("%a %d %b %Y %H:%M %Z")


def due_at(week: str, newsletter: Newsletter) -> datetime:
    return send_time(week, newsletter.send_on, newsletter.timezone)


class HasWeek(Protocol):
    @property
    def week(self) -> str: ...


Digestish = TypeVar("Digestish", bound=HasWeek)


def released(
    digests: Sequence[Digestish], now: datetime, newsletter: Newsletter
) -> list[Digestish]:
    """The digests whose send time has come: all the archive and its feed may show. One
    built ahead for a future week stays off the site until its send time, so nobody reads
    next week's digest on the web first. Whether anyone was mailed it does not count (a new
    site's archive fills before it has subscribers)."""
    return [d for d in digests if due_at(d.week, newsletter) <= now]


def latest_due(weeks: Sequence[str], now: datetime, newsletter: Newsletter) -> str | None:
    """The newest of ``weeks`` (digests built) whose send time has come: what `send`
    and `run` send by default. ISO weeks written YYYY-Www sort as text."""
    due = [week for week in weeks if due_at(week, newsletter) <= now]
    return max(due, default=None)


def is_late(week: str, now: datetime, newsletter: Newsletter) -> bool:
    """The week is over in the newsletter's timezone: its digest would come out late."""
    return week_bounds(week, newsletter.timezone)[1] <= now


def check_build(
    week: str, now: datetime, newsletter: Newsletter, weeks: Sequence[str], late: bool
) -> None:
    """Raise NeedsLate when building ``week``'s digest now needs the owner's ``--late``.
    A digest already built is never refused: building it again shows the recorded one."""
    if late or week in weeks:
        return
    latest = latest_due(weeks, now, newsletter)
    if latest is not None and week < latest:
        raise NeedsLate(
            f"digest {week} would come out after {latest}'s, out of order; "
            "pass --late to build it anyway"
        )
    if is_late(week, now, newsletter):
        raise NeedsLate(f"week {week} is over, so its digest is late; pass --late to build it")


def check_send(
    week: str, now: datetime, newsletter: Newsletter, weeks: Sequence[str], late: bool
) -> None:
    """Raise NotDue before the week's send time (always), NeedsLate for a digest older
    than the latest one due, unless ``late``."""
    due = due_at(week, newsletter)
    if now < due:
        raise NotDue(f"digest {week} is not due until {shown_time(due, newsletter)}; nothing sent")
    latest = latest_due(weeks, now, newsletter)
    if not late and latest is not None and week < latest:
        raise NeedsLate(
            f"digest {week} is older than {latest}'s, which is due; pass --late to send it anyway"
        )


def first_digest_waits(
    week: str, newsletter: Newsletter, site_started: datetime | None, weeks_built: Sequence[str]
) -> bool:
    """A new site's first digest is the next one due after it was set up: a week whose
    send time fell on an earlier day than the site's first collect is not built (its
    digest would be dated before anyone could have subscribed). On the same day it is:
    it is today's news either way."""
    if weeks_built or site_started is None:
        return False
    zone = ZoneInfo(newsletter.timezone)
    return due_at(week, newsletter).astimezone(zone).date() < site_started.astimezone(zone).date()


def dated(week: str, now: datetime, newsletter: Newsletter) -> datetime:
    """The date a digest is recorded with: when built, except that a digest built after
    its week is over is dated its send time, so the archive and the digests feed file it
    in its place instead of showing it as today's news."""
    return due_at(week, newsletter) if is_late(week, now, newsletter) else now


@dataclass(frozen=True)
class SendChoice:
    """What `send` (and `run`'s send step) mails: ``week``, or nothing and why."""

    week: str | None
    waiting: str | None = None  # nothing due yet: which digest waits, and until when


def week_to_send(
    asked: str | None, weeks: Sequence[str], now: datetime, newsletter: Newsletter, late: bool
) -> SendChoice:
    """The week asked for (checked: see :func:`check_send`; one with no digest is left to
    the sender to refuse), else the latest digest that is due. A digest built ahead for
    a future week is never the default: it waits for its own send time."""
    if asked is not None:
        if asked in weeks:
            check_send(asked, now, newsletter, weeks, late)
        return SendChoice(asked)
    if not weeks:
        return SendChoice(None)
    latest = latest_due(weeks, now, newsletter)
    if latest is not None:
        return SendChoice(latest)
    waiting = min(weeks)
    when = shown_time(due_at(waiting, newsletter), newsletter)
    return SendChoice(None, f"digest {waiting} is not due until {when}")
