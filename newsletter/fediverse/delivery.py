"""Delivering activities to followers' inboxes from the ledger (``fediverse_deliveries``).

Due rows are claimed a batch at a time (committed as ``sending`` before any POST), the next
batch while the last POSTs of the one before are going, and posted concurrently
(:func:`newsletter.sources.fediverse.post_stream`: a few per server, a server that cannot
be reached skipped for the rest of the run); the answers are written as they come back, a
group per transaction. A server found down has all its waiting rows put off to its
retry, so the rounds after do not try it again. What a killed run left ``sending`` goes back
to pending after :data:`LEASE`: servers drop an activity whose id they have, so a crash
costs a few duplicates (the POSTs in flight, and answers not yet written; never more than
one batch) and never a missed follower.

:func:`next_step` is the policy, pure: 2xx is done; 410 Gone drops the inbox and its
followers; a refusal that will not change (400, 403, 404, 405, 413, 422) fails that row;
anything else (no answer, 5xx, 401 while a key is being refetched, 429) is tried again
later, backing off, until the row is :data:`GIVE_UP` old: then that inbox is dropped too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from newsletter.fediverse.account import Account
from newsletter.sources.fediverse import Post, Posted, post_stream
from newsletter.store import SqlStore
from newsletter.store.fediverse import FediJob, FediResult, FediState

Clock = Callable[[], datetime]
LEASE = timedelta(minutes=15)  # a row sending for longer belongs to a dead run
BATCH = 500  # rows per claim: the most a crash can send twice
MAX_ROUNDS = 100  # per run: 50,000 deliveries, then cron's next run goes on
GIVE_UP = timedelta(days=3)
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
)
FINAL = frozenset({400, 403, 404, 405, 413, 422})


@dataclass(frozen=True)
class AfterAttempt:
    state: FediState
    next_attempt_at: datetime | None = None
    drop_inbox: str | None = None  # why the inbox and its followers go


def next_step(
    status: int | None, attempts: int, created_at: datetime, now: datetime
) -> AfterAttempt:
    if status is not None and 200 <= status < 300:
        return AfterAttempt(FediState.SENT)
    if status == 410:
        return AfterAttempt(FediState.FAILED, drop_inbox="the inbox answered 410 Gone")
    if status in FINAL:
        return AfterAttempt(FediState.FAILED)
    if now - created_at >= GIVE_UP:
        return AfterAttempt(
            FediState.FAILED, drop_inbox=f"failing since {created_at:%Y-%m-%d %H:%M}"
        )
    wait = BACKOFF[min(attempts, len(BACKOFF)) - 1] if attempts else BACKOFF[0]
    return AfterAttempt(FediState.PENDING, next_attempt_at=now + wait)


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    recovered: int = 0  # rows a dead run left sending, queued again
    dropped: list[str] = field(default_factory=list)  # inboxes dropped, and why
    unreachable: list[str] = field(default_factory=list)  # servers found down (retried later)
    waiting: int = 0  # due rows left when the run stopped
    oldest_waiting: datetime | None = None
    followers: int = 0

    @property
    def behind(self) -> bool:
        return self.waiting > 0

    def behind_since(self, now: datetime, margin: timedelta) -> bool:
        """Deliveries have been due for longer than ``margin``: cron must hear of it."""
        oldest = self.oldest_waiting
        return self.behind and oldest is not None and now - oldest > margin

    def summary(self) -> str:
        text = (
            f"federate: {self.sent} delivered, {self.retrying} to retry, {self.failed} failed "
            f"({self.followers} followers)"
        )
        if self.unreachable:
            hosts = ", ".join(urlsplit(server).netloc for server in self.unreachable[:5])
            more = f" and {len(self.unreachable) - 5} more" if len(self.unreachable) > 5 else ""
            text += f"; {len(self.unreachable)} server(s) unreachable, retried later: {hosts}{more}"
        if self.dropped:
            text += f"; dropped {len(self.dropped)} inbox(es): " + "; ".join(self.dropped[:3])
        if self.behind and self.oldest_waiting is not None:
            text += (
                f"; BEHIND: {self.waiting} deliveries due, the oldest since "
                f"{self.oldest_waiting:%Y-%m-%d %H:%M} UTC"
            )
        return text

    def as_dict(self) -> dict[str, Any]:
        found = asdict(self)
        found["oldest_waiting"] = self.oldest_waiting.isoformat() if self.oldest_waiting else None
        return found


def deliver(
    store: SqlStore,
    account: Account,
    clock: Clock,
    claimer: str,
    *,
    batch: int = BATCH,
    max_rounds: int = MAX_ROUNDS,
    activity_key: str | None = None,
) -> DeliveryReport:
    """Deliver what is due, round after round, until nothing is due (or ``max_rounds``);
    only that activity's rows when ``activity_key`` is given (the Accept of a new follower)."""
    report = DeliveryReport(recovered=store.recover_fedi_deliveries(clock() - LEASE))
    claimed: dict[int, FediJob] = {}
    rounds = iter(range(max_rounds))

    def claim() -> list[Post]:
        if next(rounds, None) is None:
            return []
        jobs = store.claim_fedi_deliveries(claimer, clock(), batch, activity_key)
        claimed.update((job.id, job) for job in jobs)
        return [Post(job.id, job.inbox, job.body.encode("utf-8")) for job in jobs]

    record = partial(_record, store, claimed, clock, report)
    post_stream(claim, account.signer(clock), account.bounds, record)
    backlog = store.fedi_backlog(clock())
    report.waiting, report.oldest_waiting = backlog.due, backlog.oldest_due
    report.followers = backlog.followers
    return report


def _record(
    store: SqlStore,
    claimed: dict[int, FediJob],
    clock: Clock,
    report: DeliveryReport,
    answers: list[Posted],
) -> None:
    """Write a group of answers as they come back (one transaction), then act on what they
    say of their servers: one found down waits with all its rows, one gone is dropped."""
    now = clock()
    steps = []
    for answer in answers:
        job = claimed.pop(answer.id)
        steps.append((job, answer, next_step(answer.status, job.attempts, job.created_at, now)))
    store.finish_fedi_deliveries(
        [
            FediResult(job.id, step.state, answer.status, answer.error, step.next_attempt_at)
            for job, answer, step in steps
        ],
        now,
    )
    for job, answer, step in steps:
        _count(report, step)
        server = _origin(job.inbox)
        if answer.unreachable and step.next_attempt_at and server not in report.unreachable:
            report.unreachable.append(server)  # its other rows wait with this one
            store.postpone_server(server, step.next_attempt_at)
        if step.drop_inbox is not None:
            store.drop_inbox(job.inbox, step.drop_inbox)
            report.dropped.append(f"{job.inbox} ({step.drop_inbox})")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _count(report: DeliveryReport, step: AfterAttempt) -> None:
    if step.state == FediState.SENT:
        report.sent += 1
    elif step.state == FediState.PENDING:
        report.retrying += 1
    else:
        report.failed += 1
