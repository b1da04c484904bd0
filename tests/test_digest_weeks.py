"""ISO weeks, send times and digest periods in the newsletter's timezone (pure, no store)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from newsletter.config import Newsletter, SendOn
from newsletter.digest.select import candidate_window, digest_period
from newsletter.digest.weeks import (
    BadWeek,
    current_week,
    parse_week,
    send_time,
    shift_week,
    week_bounds,
)

LONDON = "Europe/London"
MONDAY_7 = SendOn(0, time(7, 0))


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, sec: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, sec, tzinfo=UTC)


def newsletter(send_on: SendOn = MONDAY_7, timezone: str = LONDON) -> Newsletter:
    return Newsletter(sender="A <a@example.com>", send_on=send_on, timezone=timezone)


@pytest.mark.parametrize(
    ("text", "monday"),
    [
        ("2026-W48", date(2026, 11, 23)),
        ("2026-W01", date(2025, 12, 29)),  # week 1 starts in the previous year
        ("2026-W53", date(2026, 12, 28)),  # 2026 starts on a Thursday: it has 53 weeks
        ("2020-W53", date(2020, 12, 28)),
    ],
)
def test_parse_week(text: str, monday: date) -> None:
    assert parse_week(text) == monday


@pytest.mark.parametrize("text", ["2027-W53", "2026-W00", "2026-W54", "2026-48", "2026-W4", "x"])
def test_a_bad_week_is_a_usage_error_saying_how_to_write_it(text: str) -> None:
    with pytest.raises(BadWeek, match="write it like 2026-W48") as caught:
        parse_week(text)
    assert caught.value.exit_code == 2


def test_shift_week_crosses_years_and_week_53() -> None:
    assert shift_week("2026-W52", 1) == "2026-W53"
    assert shift_week("2026-W53", 1) == "2027-W01"
    assert shift_week("2027-W01", -1) == "2026-W53"
    assert shift_week("2026-W48", 156) == "2029-W47"


def test_week_bounds_are_local_midnights_and_last_167_hours_when_clocks_go_forward() -> None:
    # Clocks go forward at 01:00 UTC on Sunday 29 March 2026: week 13 loses an hour.
    start, end = week_bounds("2026-W13", LONDON)
    assert start == utc(2026, 3, 23, 0, 0)  # Monday 00:00 GMT
    assert end == utc(2026, 3, 29, 23, 0)  # Monday 00:00 BST
    assert end - start == timedelta(hours=167)
    assert week_bounds("2026-W14", LONDON)[0] == end, "weeks tile time with no gap"


def test_week_bounds_last_169_hours_when_clocks_go_back() -> None:
    # Clocks go back at 01:00 UTC on Sunday 25 October 2026: week 43 gains an hour.
    start, end = week_bounds("2026-W43", LONDON)
    assert start == utc(2026, 10, 18, 23, 0)  # Monday 00:00 BST
    assert end == utc(2026, 10, 26, 0, 0)  # Monday 00:00 GMT
    assert end - start == timedelta(hours=169)


def test_send_time_follows_the_local_clock_across_dst() -> None:
    assert send_time("2026-W13", MONDAY_7, LONDON) == utc(2026, 3, 23, 7, 0)  # GMT
    assert send_time("2026-W14", MONDAY_7, LONDON) == utc(2026, 3, 30, 6, 0)  # BST
    assert send_time("2026-W44", MONDAY_7, LONDON) == utc(2026, 10, 26, 7, 0)  # GMT again
    assert send_time("2026-W48", SendOn(4, time(18, 30)), "America/New_York") == utc(
        2026, 11, 27, 23, 30
    )


def test_a_send_time_the_clocks_skip_or_repeat_is_still_one_instant() -> None:
    sunday_0130 = SendOn(6, time(1, 30))
    # 01:30 does not exist on 29 March 2026 in London: read with the GMT offset (02:30 BST).
    assert send_time("2026-W13", sunday_0130, LONDON) == utc(2026, 3, 29, 1, 30)
    # 01:30 happens twice on 25 October 2026: the first time (BST).
    assert send_time("2026-W43", sunday_0130, LONDON) == utc(2026, 10, 25, 0, 30)


@pytest.mark.parametrize(
    ("now", "week"),
    [
        (utc(2026, 3, 29, 22, 59, 59), "2026-W13"),  # Sunday 23:59:59 BST
        (utc(2026, 3, 29, 23, 0, 0), "2026-W14"),  # Monday 00:00 BST, still Sunday in UTC
        (utc(2026, 10, 25, 23, 59, 59), "2026-W43"),  # Sunday 23:59:59 GMT
        (utc(2026, 10, 26, 0, 0, 0), "2026-W44"),
        (utc(2026, 12, 31, 12, 0), "2026-W53"),
        (utc(2027, 1, 4, 0, 0), "2027-W01"),
    ],
)
def test_current_week_at_the_edges(now: datetime, week: str) -> None:
    assert current_week(now, LONDON) == week


def test_the_first_digest_looks_back_seven_days_at_most() -> None:
    now = utc(2026, 11, 23, 7, 5)
    period = digest_period("2026-W48", now, newsletter(), previous_end=None)
    assert period.first
    assert (period.start, period.end) == (now - timedelta(days=7), now)
    window = candidate_window(period, first_digest_start=None)
    assert window.articles_published_since == period.start, "no backfill by publication either"
    assert window.questions_since == period.start


def test_a_digest_starts_where_the_previous_one_ended() -> None:
    previous_end = utc(2026, 11, 16, 7, 4)
    now = utc(2026, 11, 23, 7, 5)
    period = digest_period("2026-W48", now, newsletter(), previous_end)
    assert (period.start, period.end, period.first) == (previous_end, now, False)
    window = candidate_window(period, first_digest_start=utc(2026, 9, 1))
    assert window.articles_since == previous_end
    assert window.articles_published_since == previous_end - timedelta(days=7)
    assert window.questions_since == utc(2026, 9, 1), "questions approved late still come"


def test_the_digest_of_a_past_week_ends_at_its_send_time_across_dst() -> None:
    # Built long after: the week of 30 March 2026 (BST) covers up to Monday 07:00 BST.
    later = utc(2026, 6, 1)
    period = digest_period("2026-W14", later, newsletter(), utc(2026, 3, 23, 7, 0))
    assert period.end == utc(2026, 3, 30, 6, 0)
    assert period.end - period.start == timedelta(hours=167), "a week of local time"


def test_a_period_never_runs_backwards() -> None:
    now = utc(2026, 11, 23, 7, 5)
    period = digest_period("2026-W48", now, newsletter(), previous_end=now + timedelta(hours=1))
    assert period.start == period.end == now
