"""Pure decisions of collecting: no I/O, ``now`` always passed in.

Whether a feed is due, how long to back off, what a Retry-After means, what a fetch
result does to a feed's state, and how an entry's dates are settled.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Literal

from newsletter.sources.types import EntryData, SourceRequest, SourceResult
from newsletter.store.entries import EntryKind, EntryStatus, NewEntry
from newsletter.store.feeds import FeedState

BACKOFF_BASE = timedelta(minutes=15)
BACKOFF_CAP = timedelta(hours=12)
RETRY_AFTER_CAP = timedelta(days=7)  # a server asking for more is not taken at its word
RETRY_AFTER_MAX_LENGTH = 64  # an HTTP date is 29 characters; anything longer is noise

Outcome = Literal["ok", "not_modified", "failed", "retry_later", "gone"]


@dataclass(frozen=True)
class Decision:
    state: FeedState
    outcome: Outcome
    message: str | None = None  # the failure, in one sentence


def is_due(state: FeedState, now: datetime) -> bool:
    return not state.gone and (state.next_attempt_at is None or state.next_attempt_at <= now)


def source_request(state: FeedState) -> SourceRequest:
    """What sources are asked for a feed: where it is and what we remember of it."""
    return SourceRequest(
        feed_id=state.id,
        key=state.key,
        kind=state.kind,
        url=state.url,
        path=Path(state.path) if state.path else None,
        etag=state.etag,
        last_modified=state.last_modified,
        content_hash=state.content_hash,
    )


LEASE_POLL = timedelta(seconds=0.5)  # how often a collector with nothing to claim looks again


def lease_renewal_due(renewed_at: datetime, now: datetime, lease: timedelta) -> bool:
    """Leases are renewed once half spent, so a collector that misses one renewal (a busy
    machine, a slow database) still holds its feeds."""
    return now - renewed_at >= lease / 2


def lease_wait(now: datetime, others_until: datetime | None) -> timedelta:
    """How long a collector with nothing left to claim waits before looking again: until
    the first of the other collectors' leases runs out (its feeds may then be claimed),
    but no longer than LEASE_POLL, as the others usually finish their feeds well before
    (None: no lease was live when it looked, but one has been taken since)."""
    if others_until is None:
        return LEASE_POLL
    return max(min(others_until - now, LEASE_POLL), timedelta(0))


WAIT_LEASES = 3  # how many lease times a collector with nothing to claim waits for the others


def waited_long_enough(since: datetime, now: datetime, lease: timedelta) -> bool:
    """A collector waits for the others' leases to end or run out; one whose leases are
    renewed but whose feeds never finish (a hung process) is left alone after a few lease
    times, so that cron runs do not pile up behind it."""
    return now - since >= lease * WAIT_LEASES


def backoff(consecutive_failures: int) -> timedelta:
    """15 min, 30 min, 1 h, 2 h … capped at 12 h: a broken feed is retried twice a day."""
    exponent = min(max(consecutive_failures - 1, 0), 16)
    return min(BACKOFF_BASE * (1 << exponent), BACKOFF_CAP)


def retry_after(value: str | None, now: datetime) -> datetime | None:
    """Retry-After as seconds or as an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()[:RETRY_AFTER_MAX_LENGTH]
    # ASCII digits only: str.isdigit() also accepts '²', which int() refuses. A number
    # of more digits than the cap has seconds is the cap (timedelta would overflow).
    if value.isascii() and value.isdigit():
        cap = int(RETRY_AFTER_CAP.total_seconds())
        seconds = cap if len(value) > len(str(cap)) else min(int(value), cap)
        return now + timedelta(seconds=seconds)
    try:
        when = parsedate_to_datetime(value)
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        delay = when - now
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return now + min(max(delay, timedelta(0)), RETRY_AFTER_CAP)


def decide(state: FeedState, result: SourceResult, now: datetime) -> Decision:
    """The feed's next state after one fetch (and parse) attempt."""
    fetch = result.fetch
    state = dataclasses.replace(state, last_attempt_at=now)
    if fetch.permanent_url and state.url:
        state = dataclasses.replace(state, url=fetch.permanent_url)
    if fetch.status_code == 410:
        message = "HTTP 410 Gone: the feed was removed, polling stopped"
        return Decision(_failed(state, message, now, gone=True), "gone", message)
    if fetch.status_code in (429, 503) and fetch.retry_after:
        return _retry_later(state, result, now)
    if result.unchanged:
        return Decision(_succeeded(state, result, now), "not_modified")
    if result.parsed is not None:
        state = dataclasses.replace(
            _succeeded(state, result, now),
            content_hash=result.body_hash,
            title=result.parsed.title or state.title,
            last_warning=result.parsed.warning,
        )
        return Decision(state, "ok")
    message = result.parse_error or fetch.error or f"HTTP {fetch.status_code}"
    return Decision(_failed(state, message, now), "failed", message)


def failure(state: FeedState, message: str, now: datetime) -> Decision:
    """The decision when handling this feed's result raised: it fails alone and backs off."""
    state = dataclasses.replace(state, last_attempt_at=now)
    return Decision(_failed(state, message, now), "failed", message)


def _succeeded(state: FeedState, result: SourceResult, now: datetime) -> FeedState:
    fetch = result.fetch
    keep_validators = fetch.status_code == 304 or result.request.path is not None
    return dataclasses.replace(
        state,
        # Validators are stored verbatim; a 304 may omit them, which keeps the old ones.
        etag=fetch.etag or (state.etag if keep_validators else None),
        last_modified=fetch.last_modified or (state.last_modified if keep_validators else None),
        last_success_at=now,
        last_error=None,
        consecutive_failures=0,
        next_attempt_at=None,
        gone_at=None,
    )


def _failed(state: FeedState, message: str, now: datetime, gone: bool = False) -> FeedState:
    failures = state.consecutive_failures + 1
    return dataclasses.replace(
        state,
        last_error=message,
        consecutive_failures=failures,
        next_attempt_at=None if gone else now + backoff(failures),
        gone_at=now if gone else None,
    )


def _retry_later(state: FeedState, result: SourceResult, now: datetime) -> Decision:
    fetch = result.fetch
    when = retry_after(fetch.retry_after, now)
    failures = state.consecutive_failures + 1
    next_attempt = when or now + backoff(failures)
    said = fetch.error or f"HTTP {fetch.status_code}"
    message = f"{said}; the server asked us to retry after {next_attempt:%Y-%m-%d %H:%M} UTC"
    state = dataclasses.replace(
        state, last_error=message, consecutive_failures=failures, next_attempt_at=next_attempt
    )
    return Decision(state, "retry_later", message)


def settle_dates(entry: EntryData, now: datetime) -> tuple[datetime | None, datetime | None]:
    """(published, updated): a date in the future is clamped to now; an undated entry gets
    None here, which the store turns into its first-seen time."""
    published = entry.published or entry.updated
    published = min(published, now) if published else None
    updated = min(entry.updated, now) if entry.updated else None
    return published, updated


def content_hash(entry: EntryData) -> str:
    """What makes an entry 'edited': any field a reader would see."""
    # vars, not dataclasses.asdict: the fields are flat, and asdict's deep copies were a
    # tenth of a first collect's time in the main process (the same JSON, the same hash).
    fields = vars(entry)
    return hashlib.sha256(json.dumps(fields, default=str, sort_keys=True).encode()).hexdigest()


def to_new_entry(entry: EntryData, feed_kind: str, now: datetime) -> NewEntry:
    published, updated = settle_dates(entry, now)
    kind = EntryKind.QUESTION if feed_kind == "questions" else EntryKind.ARTICLE
    return NewEntry(
        key=entry.key,
        kind=kind,
        status=EntryStatus.APPROVED,  # questions from a feed are published by the site itself
        title=entry.title,
        content_hash=content_hash(entry),
        guid=entry.guid,
        link=entry.link,
        summary_html=entry.summary_html,
        content_html=entry.content_html,
        author=entry.author,
        published_at=published,
        updated_at=updated,
    )
