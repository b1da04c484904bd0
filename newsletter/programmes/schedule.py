"""When a reader's next step may go: pure decisions that take ``now``.

Steps go out at the site's send hour (the digest's time of day), on any day but the
digest's weekday, so no reader gets a step on the day of their digest. Each step's day is
counted from the day the previous one was actually queued: a run that did not happen for
days delays the programme; it never bunches its emails (one a day at most).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from newsletter.config.settings import SendOn


def programme_day(now: datetime, send_on: SendOn, timezone: str) -> date | None:
    """The site's local date when steps may be queued at ``now``: its send hour has come
    and it is not the digest's weekday. None otherwise."""
    local = now.astimezone(ZoneInfo(timezone))
    if local.weekday() == send_on.weekday or local.time() < send_on.at:
        return None
    return local.date()


def due_after(day: date, after_days: int, send_on: SendOn) -> date:
    """The day a step may go, ``after_days`` after ``day``, moved off the digest's day."""
    due = day + timedelta(days=after_days)
    return due + timedelta(days=1) if due.weekday() == send_on.weekday else due


def day_start(day: date, timezone: str) -> datetime:
    """The instant the site's local ``day`` began (midnight in ``timezone``), in UTC."""
    return datetime.combine(day, time.min, ZoneInfo(timezone)).astimezone(UTC)


def joining_day(now: datetime, timezone: str) -> date:
    """The site's local date a reader joins on: their first step counts from it."""
    return now.astimezone(ZoneInfo(timezone)).date()
