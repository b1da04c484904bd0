"""The collect pipeline: configured feeds → sources (fetch, parse, clean) → store.

I/O lives here and in the parts it calls; every judgement is a pure function of
``collect.decide``. One feed's failure is recorded on that feed and never stops the run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from newsletter.collect.decide import (
    Outcome,
    decide,
    failure,
    is_due,
    lease_wait,
    source_request,
    to_new_entry,
    waited_long_enough,
)
from newsletter.collect.rounds import SharedRound, keeping_leases, lease_clock
from newsletter.config import FeedConfig
from newsletter.sources.read import read_feeds
from newsletter.sources.types import Limits, SourceRequest, SourceResult
from newsletter.store import FeedState, SaveCounts, SqlStore

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
    due: int = 0  # the feeds this collector fetched
    not_due: int = 0
    by_others: int = 0  # due feeds other collectors of the shared round fetched
    left_to_others: bool = False  # stopped waiting for collectors that never finished
    lost: int = 0  # fetched, but the lease ran out first: not recorded (another's now)
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
            + (f"; {self.by_others} fetched by other collectors" if self.by_others else "")
            + (f"; {self.lost} result(s) dropped as their lease ran out" if self.lost else "")
            + ("; stopped waiting for the other collectors" if self.left_to_others else "")
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "feeds": self.due,
            "not_due": self.not_due,
            "by_others": self.by_others,
            "new": self.new,
            "updated": self.updated,
            "failed": [{"feed": o.name, "error": o.message} for o in self.problems],
            "seconds": round(self.seconds, 2),
        }


class CollectProgress(Protocol):
    """What collect tells as it goes (``newsletter.progress.FeedProgress`` shows it)."""

    def start(self, total: int) -> None:
        """``total`` feeds are due."""

    def feed(self, outcome: FeedOutcome) -> None:
        """One feed was fetched and recorded."""


class Quiet:
    """Progress nobody watches (a run inside another command, a test)."""

    def start(self, total: int) -> None:
        pass

    def feed(self, outcome: FeedOutcome) -> None:
        pass


QUIET = Quiet()


def collect(
    feeds: Sequence[FeedConfig],
    limits: Limits,
    store: SqlStore,
    clock: Clock,
    progress: CollectProgress = QUIET,
    sleep: Callable[[float], None] = time.sleep,
) -> CollectReport:
    """Fetch every due feed of ``feeds`` (feeds.yaml's), store new and edited entries,
    record each feed's health; ``limits`` bound what each fetch may cost.

    On a database shared by collectors on several machines (PostgreSQL), the due feeds are
    shared out: this collector fetches those it leases first, and returns once every due
    feed of the round has been fetched, by whichever collector (``sleep`` is how it waits
    for the others meanwhile)."""
    started = time.monotonic()
    states = store.sync_feeds(feeds, clock())
    now = clock()
    due = {s.id: s for s in states if is_due(s, now)}
    report = CollectReport(due=len(due), not_due=len(states) - len(due))
    progress.start(len(due))
    lease = timedelta(seconds=limits.lease_seconds)
    leases = lease_clock(store, clock) if due else clock
    round_id = store.join_round(leases(), lease) if due else None
    if round_id is None:
        requests = [source_request(state) for state in due.values()]
        _fetch(limits, store, clock, due, requests, None, report, progress.feed)
    else:
        shared = SharedRound(store, round_id, list(due), leases, lease, limits.concurrency)
        _collect_round(limits, store, clock, shared, sleep, report, progress.feed)
        # Feeds whose lease ran out before they were fetched or recorded are the others'.
        report.due = len(report.outcomes)
        report.by_others = len(due) - report.due
    report.seconds = time.monotonic() - started
    return report


def _collect_round(
    limits: Limits,
    store: SqlStore,
    local: Clock,
    shared: SharedRound,
    sleep: Callable[[float], None],
    report: CollectReport,
    on_feed: Callable[[FeedOutcome], None],
) -> None:
    """Claim and fetch until nothing is left to claim; then, while other collectors still
    hold leases, wait: a lease that runs out (its collector died) is claimed in turn. This
    collector holds nothing while it waits, so two waiting collectors never wait on each
    other."""
    clock = shared.clock
    waiting_since: datetime | None = None
    with keeping_leases(shared):
        try:
            while True:
                # Read the others' leases before claiming: a lease that ran out in between
                # is then claimed, never mistaken for the round's end.
                others = shared.others_until()
                requests = shared.claim()
                if requests:
                    waiting_since = None
                    feeds = shared.claimed
                    _fetch(limits, store, local, feeds, requests, shared, report, on_feed)
                elif others is None and shared.finish():
                    return
                else:
                    waiting_since = waiting_since or clock()
                    if waited_long_enough(waiting_since, clock(), shared.lease):
                        # A collector that renews its leases but never finishes (hung, not
                        # dead) must not keep every later run waiting: its feeds stay its own.
                        report.left_to_others = True
                        return
                    sleep(lease_wait(clock(), others).total_seconds())
        except BaseException:
            shared.give_back()
            raise


def _fetch(
    limits: Limits,
    store: SqlStore,
    clock: Clock,
    feeds: dict[int, FeedState],
    requests: list[SourceRequest],
    shared: SharedRound | None,
    report: CollectReport,
    on_feed: Callable[[FeedOutcome], None],
) -> None:
    """Fetch ``requests`` (and, in a shared round, what ``shared`` claims meanwhile) and
    record each result; in a shared round only while its lease is held."""
    recorder = _Recorder(store, shared)
    more = None if shared is None else shared.claim
    held = None if shared is None else shared.still_held
    try:
        for result in read_feeds(requests, limits, more, held):
            outcome = recorder.record(feeds[result.request.feed_id], result, clock())
            if outcome is None:
                report.lost += 1
                continue
            report.outcomes.append(outcome)
            on_feed(outcome)
    finally:
        recorder.save_unchanged()


MESSAGE_LIMIT = 500


@dataclass
class _Recorder:
    """Records the results of one fetch; in a shared round only while this collector holds
    the feed. An unchanged feed only moves its health times: those are written together at
    the end (one commit instead of one per 304); a crash before then loses nothing but
    those times, and the next run asks again with the same validators."""

    store: SqlStore
    shared: SharedRound | None
    unchanged: list[FeedState] = field(default_factory=list)

    def save_unchanged(self) -> None:
        if self.shared is None:
            self.store.save_feed_states(self.unchanged)
        else:
            self.store.save_feed_states(self.unchanged, self.shared.round_id, self.shared.held())

    def save(self, state: FeedState) -> bool:
        if self.shared is None:
            return self.store.save_feed_state(state)
        return self.store.save_feed_state(state, self.shared.round_id, self.shared.held())

    def record(self, state: FeedState, result: SourceResult, now: datetime) -> FeedOutcome | None:
        """Apply one result; whatever it raises fails this feed only. Only a store that
        cannot even record the failure (the database is down) stops the run. None: the
        lease ran out before the result came, so it is not recorded (the feed is another's
        now)."""
        try:
            return self._apply(state, result, now)
        except Exception as exc:
            logger.exception("recording %s failed", state.key)
            message = f"internal error: {exc.__class__.__name__}: {exc}"[:MESSAGE_LIMIT]
            if not self.save(failure(state, message, now).state):
                return None
            return FeedOutcome(name=state.name, outcome="failed", message=message)

    def _apply(self, state: FeedState, result: SourceResult, now: datetime) -> FeedOutcome | None:
        decision = decide(state, result, now)
        if decision.outcome == "not_modified":
            self.unchanged.append(decision.state)
            return FeedOutcome(name=state.name, outcome=decision.outcome, message=decision.message)
        counts = SaveCounts()
        if result.parsed is not None and decision.outcome == "ok":
            entries = [to_new_entry(e, state.kind, now) for e in result.parsed.entries]
            counts = self.store.save_entries(state.id, entries, now)
        # Entries first, then the validators: if we die in between, the next run fetches
        # the feed again instead of trusting an ETag whose entries were never stored.
        if not self.save(decision.state):
            logger.info("%s: not recorded, its lease ran out first", state.key)
            return None
        return FeedOutcome(
            name=state.name,
            outcome=decision.outcome,
            new=counts.new,
            updated=counts.updated,
            message=decision.message,
            warning=decision.state.last_warning if decision.outcome == "ok" else None,
        )
