"""The pure decisions of collecting: due, back-off, Retry-After, next state, dates."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newsletter.collect.decide import (
    BACKOFF_CAP,
    LEASE_POLL,
    backoff,
    content_hash,
    decide,
    is_due,
    lease_renewal_due,
    lease_wait,
    retry_after,
    settle_dates,
    to_new_entry,
    waited_long_enough,
)
from newsletter.sources.types import (
    EntryData,
    FetchResult,
    ParsedFeed,
    SourceRequest,
    SourceResult,
)
from newsletter.store import FeedState

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
STATE = FeedState(
    id=1,
    key="https://a.example/f",
    name="A",
    kind="articles",
    url="https://a.example/f",
    path=None,
)
REQUEST = SourceRequest(feed_id=1, key=STATE.key, kind="articles", url=STATE.url)
ENTRY = EntryData(
    key="guid:https://a.example/1",
    guid="https://a.example/1",
    link="https://a.example/1",
    title="Strides",
    summary_html="<p>Short and fast.</p>",
    content_html="",
    author="Tom",
    published=datetime(2026, 11, 20, tzinfo=UTC),
    updated=None,
)


def result(**fetch: object) -> SourceResult:
    return SourceResult(request=REQUEST, fetch=FetchResult(**fetch))  # type: ignore[arg-type]


def test_due_unless_gone_or_waiting() -> None:
    assert is_due(STATE, NOW)
    assert not is_due(dataclasses.replace(STATE, next_attempt_at=NOW + timedelta(seconds=1)), NOW)
    assert is_due(dataclasses.replace(STATE, next_attempt_at=NOW), NOW)
    assert not is_due(dataclasses.replace(STATE, gone_at=NOW - timedelta(days=1)), NOW)


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff(n) for n in (1, 2, 3)] == [timedelta(minutes=m) for m in (15, 30, 60)]
    assert backoff(10) == BACKOFF_CAP == backoff(10_000)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("120", NOW + timedelta(seconds=120)),
        (" 0 ", NOW),
        ("Wed, 25 Nov 2026 10:30:00 GMT", datetime(2026, 11, 25, 10, 30, tzinfo=UTC)),
        ("Wed, 25 Nov 2026 08:00:00 GMT", NOW),  # in the past: now
        ("99999999", NOW + timedelta(days=7)),  # capped
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after(header: str | None, expected: datetime | None) -> None:
    assert retry_after(header, NOW) == expected


def test_a_parsed_feed_stores_validators_verbatim_and_resets_health() -> None:
    failing = dataclasses.replace(STATE, consecutive_failures=3, last_error="HTTP 500")
    parsed = ParsedFeed(title="A feed", link=None, entries=(ENTRY,))
    outcome = decide(
        failing,
        SourceResult(
            request=REQUEST,
            fetch=FetchResult(status_code=200, etag='W/"abc"', last_modified="Tue, 24 Nov 2026"),
            body_hash="f" * 64,
            parsed=parsed,
        ),
        NOW,
    )
    assert outcome.outcome == "ok"
    state = outcome.state
    assert (state.etag, state.last_modified) == ('W/"abc"', "Tue, 24 Nov 2026")
    assert state.content_hash == "f" * 64 and state.title == "A feed"
    assert state.consecutive_failures == 0 and state.last_error is None
    assert state.last_success_at == NOW == state.last_attempt_at


def test_a_304_keeps_the_validators_it_does_not_repeat() -> None:
    known = dataclasses.replace(STATE, etag='"v1"', last_modified="Mon")
    decision = decide(
        known,
        SourceResult(request=REQUEST, fetch=FetchResult(status_code=304), unchanged=True),
        NOW,
    )
    assert decision.outcome == "not_modified"
    assert (decision.state.etag, decision.state.last_modified) == ('"v1"', "Mon")


def test_a_permanent_redirect_moves_the_feed() -> None:
    moved = result(status_code=304, permanent_url="https://b.example/f")
    decision = decide(STATE, dataclasses.replace(moved, unchanged=True), NOW)
    assert decision.state.url == "https://b.example/f"


def test_410_stops_polling() -> None:
    decision = decide(STATE, result(status_code=410, error="HTTP 410 Gone"), NOW)
    assert decision.outcome == "gone" and decision.state.gone
    assert not is_due(decision.state, NOW + timedelta(days=365))


@pytest.mark.parametrize("code", [429, 503])
def test_retry_after_is_honoured(code: int) -> None:
    decision = decide(STATE, result(status_code=code, retry_after="3600"), NOW)
    assert decision.outcome == "retry_later"
    assert decision.state.next_attempt_at == NOW + timedelta(hours=1)
    assert "retry after 2026-11-25 10:00 UTC" in (decision.message or "")


def test_failures_back_off_and_are_recorded() -> None:
    state = STATE
    for failures in (1, 2, 3):
        decision = decide(
            state, result(status_code=500, error="HTTP 500 Internal Server Error"), NOW
        )
        state = decision.state
        assert decision.outcome == "failed"
        assert state.consecutive_failures == failures
        assert state.last_error == "HTTP 500 Internal Server Error"
        assert state.next_attempt_at == NOW + backoff(failures)


def test_a_parse_error_does_not_store_the_new_etag() -> None:
    known = dataclasses.replace(STATE, etag='"old"')
    broken = SourceResult(
        request=REQUEST,
        fetch=FetchResult(status_code=200, etag='"new"'),
        body_hash="a" * 64,
        parse_error="not a feed: the document is an HTML page",
    )
    decision = decide(known, broken, NOW)
    assert decision.outcome == "failed"
    assert decision.state.etag == '"old"' and decision.state.content_hash is None
    assert decision.message == "not a feed: the document is an HTML page"


def test_dates_in_the_future_are_clamped_and_undated_left_to_the_store() -> None:
    future = dataclasses.replace(ENTRY, published=NOW + timedelta(days=400))
    assert settle_dates(future, NOW) == (NOW, None)
    undated = dataclasses.replace(ENTRY, published=None, updated=None)
    assert settle_dates(undated, NOW) == (None, None)
    only_updated = dataclasses.replace(ENTRY, published=None, updated=NOW - timedelta(days=1))
    assert settle_dates(only_updated, NOW) == (NOW - timedelta(days=1),) * 2


def test_entries_from_a_questions_feed_are_approved_questions() -> None:
    new = to_new_entry(ENTRY, "questions", NOW)
    assert (new.kind, new.status) == ("question", "approved")
    assert to_new_entry(ENTRY, "articles", NOW).kind == "article"


def test_content_hash_sees_edits_only() -> None:
    assert content_hash(ENTRY) == content_hash(dataclasses.replace(ENTRY))
    assert content_hash(ENTRY) != content_hash(dataclasses.replace(ENTRY, title="Strides!"))


def test_content_hash_is_the_one_stored_entries_were_given() -> None:
    # A hash computed differently would make every stored entry look edited on the next run.
    expected = "d98fd9a9a9d24f37f6c58bddc09d90aa63a64faaa9f0d1c684b40349069b49b4"
    assert content_hash(ENTRY) == expected


def test_a_local_file_keeps_its_validators() -> None:
    request = dataclasses.replace(REQUEST, url=None, path=Path("/site/f.xml"))
    parsed = ParsedFeed(title="F", link=None, entries=())
    decision = decide(
        STATE,
        SourceResult(request=request, fetch=FetchResult(status_code=200), parsed=parsed),
        NOW,
    )
    assert decision.outcome == "ok"


def test_leases_are_renewed_once_half_spent() -> None:
    lease = timedelta(minutes=3)
    start = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    assert not lease_renewal_due(start, start + timedelta(seconds=89), lease)
    assert lease_renewal_due(start, start + timedelta(seconds=90), lease)


def test_a_collector_with_nothing_to_claim_looks_again_soon_or_when_a_lease_ends() -> None:
    now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    assert lease_wait(now, now + timedelta(minutes=3)) == LEASE_POLL
    assert lease_wait(now, now + timedelta(milliseconds=300)) == timedelta(milliseconds=300)
    assert lease_wait(now, now - timedelta(seconds=1)) == timedelta(0)
    assert lease_wait(now, None) == LEASE_POLL  # a lease taken since: never a busy loop


def test_a_collector_waits_three_lease_times_for_the_others_at_most() -> None:
    start, lease = datetime(2026, 11, 25, 9, 0, tzinfo=UTC), timedelta(seconds=60)
    assert not waited_long_enough(start, start + timedelta(seconds=179), lease)
    assert waited_long_enough(start, start + timedelta(seconds=180), lease)
