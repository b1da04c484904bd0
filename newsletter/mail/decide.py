"""What each server answer means for a delivery, as pure functions of their inputs.

The delivery state machine (rows of the ``deliveries`` table)::

    pending ─claim─► claimed ─commit─► sending ─250─► sent
       ▲  ▲              │                │
       │  └─ released ───┘  (stopped,     ├─4xx / lost connection─► retry ─due─► claimed …
       │     no server saw it)            ├─5xx─► failed   (550/551/553 at RCPT: subscriber bounced)
       │                                  ├─sender died, its journal saw the 250─► sent
       ├───────── sender died otherwise ──┘  (re-sent; if it was handed over, counted)
       └── send --retry-unknown ── unknown   (left by versions without the journal)
    claimed or sending, subscriber no longer active ─► skipped

Only ``sending`` is ever in doubt, and only for the batch each worker has marked (at most
``newsletter.mail.sender.IN_FLIGHT``, 8, per worker); of those the worker's journal
(``journal.py``) leaves at most one in doubt, the message in flight when it died.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from newsletter.mail.transport import Reply
from newsletter.store.deliveries import Claim, DeliveryJob, DeliveryResult, DeliveryState

Verdict = Literal["sent", "retry", "failed", "bounced", "pause"]

HARD_BOUNCE_CODES = (550, 551, 553)
MAX_ATTEMPTS = 8  # temporary failures before giving up: about 16 hours of retrying
FIRST_BACKOFF = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=6)
ERROR_STREAK = 10  # consecutive failures that pause sending: the fault is probably ours
LEASE = timedelta(minutes=10)  # a claim not renewed for this long belongs to a dead sender

_ENHANCED = re.compile(r"^([245])\.(\d{1,3})\.(\d{1,3})\b")


def classify(reply: Reply) -> Verdict:
    """A server reply → what to do with the delivery."""
    if 200 <= reply.code < 300:
        return "sent"
    if reply.code < 500:  # 4xx (and anything unexpected below 500): try again later
        return "retry"
    if reply.stage == "mail":
        return "pause"  # our sender address is refused: every message would be
    if reply.stage == "rcpt" and is_hard_bounce(reply):
        return "bounced"
    return "failed"


def is_hard_bounce(reply: Reply) -> bool:
    """550/551/553 at RCPT: the mailbox does not exist. Policy refusals (5.7.x, such as
    "relaying denied") are our problem, not the subscriber's, so they suppress nobody."""
    if reply.code not in HARD_BOUNCE_CODES:
        return False
    enhanced = _ENHANCED.match(reply.text)
    return enhanced is None or enhanced[2] == "1" or (enhanced[2], enhanced[3]) == ("2", "1")


def backoff(attempts: int) -> timedelta:
    """5 min, 10, 20, 40 … up to 6 h, after the ``attempts``-th temporary failure."""
    delay: timedelta = FIRST_BACKOFF * (2 ** max(attempts - 1, 0))
    return min(delay, MAX_BACKOFF)


def result_for(job: DeliveryJob, verdict: Verdict, reply: str, now: datetime) -> DeliveryResult:
    """The row after one attempt that got an answer."""
    attempts = job.attempts + 1
    base = DeliveryResult(job.id, job.subscriber_id, DeliveryState.FAILED, attempts=attempts)
    if verdict == "sent":
        return _with(base, state=DeliveryState.SENT, reply=reply)
    if verdict == "pause":  # nothing was sent: hand the row back untouched
        return _with(base, state=DeliveryState.PENDING, attempts=job.attempts, error=reply)
    if verdict == "retry":
        return retry_or_give_up(base, reply, now)
    return _with(base, state=DeliveryState.FAILED, error=reply, bounced=verdict == "bounced")


def result_after_failure(
    job: DeliveryJob, message: str, before_data: bool, now: datetime
) -> DeliveryResult:
    """The row after a connection that could not be made (nothing sent: back to pending,
    no attempt counted) or was lost twice (a temporary failure)."""
    base = DeliveryResult(job.id, job.subscriber_id, DeliveryState.FAILED, attempts=0)
    if before_data:
        return _with(base, state=DeliveryState.PENDING, attempts=job.attempts, error=message)
    return retry_or_give_up(_with(base, attempts=job.attempts + 1), message, now)


def retry_or_give_up(base: DeliveryResult, error: str, now: datetime) -> DeliveryResult:
    if base.attempts >= MAX_ATTEMPTS:
        message = f"gave up after {base.attempts} temporary failures; the last: {error}"
        return _with(base, state=DeliveryState.FAILED, error=message)
    due = now + backoff(base.attempts)
    return _with(base, state=DeliveryState.RETRY, error=error, next_attempt_at=due)


@dataclass(frozen=True)
class Claimer:
    """Who holds a claim: ``host:pid:start``, where start tells this process from a later
    one that reused its pid."""

    host: str
    pid: int
    start: str

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}:{self.start}"

    @classmethod
    def parse(cls, text: str) -> Claimer | None:
        parts = text.rsplit(":", 2)  # a host name has no colon; an IPv6 literal may
        if len(parts) != 3 or not parts[1].isdigit():
            return None
        return cls(parts[0], int(parts[1]), parts[2])


def claim_is_stale(
    claim: Claim,
    now: datetime,
    here: str,
    alive: Callable[[Claimer], bool],
    lease: timedelta = LEASE,
) -> bool:
    """Whether a claim's rows belong to a sender that is gone: on this host, one whose
    process no longer runs; elsewhere, one silent for longer than the lease."""
    claimer = Claimer.parse(claim.claimed_by) if claim.claimed_by else None
    if claimer is not None and claimer.host == here:
        return not alive(claimer)
    return claim.last_seen is None or now - claim.last_seen > lease


def _with(base: DeliveryResult, **changes: object) -> DeliveryResult:
    return replace(base, **changes)  # type: ignore[arg-type]
