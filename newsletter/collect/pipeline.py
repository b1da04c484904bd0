"""The collect pipeline: configured feeds → sources (fetch, parse, clean) → store.

I/O lives here and in the parts it calls; every judgement is a pure function of
``collect.decide``. One feed's failure is recorded on that feed and never stops the run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from newsletter import sources
from newsletter.collect.decide import Outcome, decide, failure, is_due, to_new_entry
from newsletter.collect.store import CollectStore
from newsletter.config import Settings
from newsletter.sources.types import SourceRequest, SourceResult
from newsletter.store import FeedState, SaveCounts
from newsletter.store.feeds import FeedKind

Clock = Callable[[], datetime]
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FeedOutcome:
    """What happened to one feed in this collect, for progress lines and the report."""

    name: str
    outcome: Outcome
    new: int = 0
    updated: int = 0
    message: str | None = None
    warning: str | None = None


@dataclass
class CollectReport:
    due: int = 0
    not_due: int = 0
    outcomes: list[FeedOutcome] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def new(self) -> int:
        return sum(o.new for o in self.outcomes)

    @property
    def updated(self) -> int:
        return sum(o.updated for o in self.outcomes)

    def count(self, *outcomes: Outcome) -> int:
        return sum(1 for o in self.outcomes if o.outcome in outcomes)

    @property
    def problems(self) -> list[FeedOutcome]:
        return [o for o in self.outcomes if o.outcome in ("failed", "retry_later", "gone")]

    def summary(self) -> str:
        ok = self.count("ok", "not_modified")
        return (
            f"collected {self.due} feed(s) in {self.seconds:.1f} s: {ok} ok "
            f"({self.count('not_modified')} unchanged), {len(self.problems)} failed; "
            f"{self.new} new and {self.updated} updated entries"
            + (f"; {self.not_due} feed(s) waiting for their retry time" if self.not_due else "")
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "feeds": self.due,
            "not_due": self.not_due,
            "new": self.new,
            "updated": self.updated,
            "failed": [{"feed": o.name, "error": o.message} for o in self.problems],
            "seconds": round(self.seconds, 2),
        }


def collect(
    settings: Settings,
    store: CollectStore,
    clock: Clock,
    on_start: Callable[[int], None] = lambda total: None,
    on_feed: Callable[[FeedOutcome], None] = lambda outcome: None,
) -> CollectReport:
    """Fetch every due feed, store new and edited entries, record each feed's health."""
    started = time.monotonic()
    states = store.sync_feeds(settings.feeds, clock())
    now = clock()
    due = {s.id: s for s in states if is_due(s, now)}
    report = CollectReport(due=len(due), not_due=len(states) - len(due))
    on_start(len(due))
    requests = [_request(state) for state in due.values()]
    # An unchanged feed only moves its health times: those are written together at the
    # end (one commit instead of one per 304); a crash before then loses nothing but
    # those times, and the next run asks again with the same validators.
    unchanged: list[FeedState] = []
    try:
        for result in sources.collect(requests, settings.collect):
            outcome = _record(store, due[result.request.feed_id], result, clock(), unchanged)
            report.outcomes.append(outcome)
            on_feed(outcome)
    finally:
        store.save_feed_states(unchanged)
    report.seconds = time.monotonic() - started
    return report


def _request(state: FeedState) -> SourceRequest:
    return SourceRequest(
        feed_id=state.id,
        key=state.key,
        kind="questions" if state.kind == FeedKind.QUESTIONS else "articles",
        url=state.url,
        path=Path(state.path) if state.path else None,
        etag=state.etag,
        last_modified=state.last_modified,
        content_hash=state.content_hash,
    )


def _record(
    store: CollectStore,
    state: FeedState,
    result: SourceResult,
    now: datetime,
    unchanged: list[FeedState],
) -> FeedOutcome:
    """Apply one result; whatever it raises fails this feed only. Only a store that cannot
    even record the failure (the database is down) stops the run."""
    try:
        return _apply(store, state, result, now, unchanged)
    except Exception as exc:
        logger.exception("recording %s failed", state.key)
        message = f"internal error: {exc.__class__.__name__}: {exc}"[:MESSAGE_LIMIT]
        decision = failure(state, message, now)
        store.save_feed_state(decision.state)
        return FeedOutcome(name=state.name, outcome="failed", message=message)


MESSAGE_LIMIT = 500


def _apply(
    store: CollectStore,
    state: FeedState,
    result: SourceResult,
    now: datetime,
    unchanged: list[FeedState],
) -> FeedOutcome:
    decision = decide(state, result, now)
    if decision.outcome == "not_modified":
        unchanged.append(decision.state)
        return FeedOutcome(name=state.name, outcome=decision.outcome, message=decision.message)
    counts = SaveCounts()
    if result.parsed is not None and decision.outcome == "ok":
        entries = [to_new_entry(e, state.kind, now) for e in result.parsed.entries]
        counts = store.save_entries(state.id, entries, now)
    # Entries first, then the validators: if we die in between, the next run fetches
    # the feed again instead of trusting an ETag whose entries were never stored.
    store.save_feed_state(decision.state)
    return FeedOutcome(
        name=state.name,
        outcome=decision.outcome,
        new=counts.new,
        updated=counts.updated,
        message=decision.message,
        warning=decision.state.last_warning if decision.outcome == "ok" else None,
    )
