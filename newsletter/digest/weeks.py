"""ISO weeks in the newsletter's timezone, as UTC instants.

A week runs from Monday 00:00 to the next Monday 00:00 *local* time, so across a
daylight-saving change it is 167 or 169 hours long; ``send_on`` is a local weekday and
time. All arithmetic is done on local dates and converted to UTC at the end.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from newsletter.config import SendOn
from newsletter.errors import BadInput

WEEK_FORMAT = re.compile(r"(\d{4})-W(\d{2})")


class BadWeek(BadInput):
    """A --week that is not an ISO week; a usage error."""


def parse_week(text: str) -> date:
    """The Monday of an ISO week written ``YYYY-Www`` (W53 only in years that have one)."""
    match = WEEK_FORMAT.fullmatch(text.strip())
    if match:
        try:
            return date.fromisocalendar(int(match[1]), int(match[2]), 1)
        except ValueError:
            pass
    raise BadWeek(f"'{text}' is not an ISO week; write it like 2026-W48 (weeks 01 to 52 or 53)")


def week_of(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def current_week(now: datetime, timezone: str) -> str:
    """The ISO week that ``now`` falls in, on the newsletter's local calendar."""
    return week_of(now.astimezone(ZoneInfo(timezone)).date())


def shift_week(week: str, weeks: int) -> str:
    return week_of(parse_week(week) + timedelta(weeks=weeks))


def week_bounds(week: str, timezone: str) -> tuple[datetime, datetime]:
    """[start, end) of the week in UTC: local Monday 00:00 to the next local Monday 00:00."""
    monday = parse_week(week)
    return _local(monday, time(0, 0), timezone), _local(monday + timedelta(7), time(0), timezone)


def send_time(week: str, send_on: SendOn, timezone: str) -> datetime:
    """When the digest of ``week`` is due, in UTC.

    A local time that does not exist (skipped by a spring-forward change) is read with
    the offset in force before the change, so it lands an hour later on the clock; one
    that happens twice (fall back) is the first of the two.
    """
    day = parse_week(week) + timedelta(days=send_on.weekday)
    return _local(day, send_on.at, timezone)


def send_day(week: str, send_on: SendOn) -> date:
    """The local date the digest of ``week`` goes out: the date readers see on it."""
    return parse_week(week) + timedelta(days=send_on.weekday)


def _local(day: date, at: time, timezone: str) -> datetime:
    return datetime.combine(day, at, tzinfo=ZoneInfo(timezone)).astimezone(UTC)
