"""What one `send` did, for the terminal, the run report and `status`."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, fields
from datetime import datetime

from newsletter.store.deliveries import DeliveryState

UNKNOWN_HELP = (
    "left in doubt by a send of an older version that died mid-message: maybe delivered, "
    "so not re-sent (`newsletter send --retry-unknown` re-sends them)"
)
RESENT_HELP = "in flight when a send died, so they may arrive twice"


@dataclass
class SendReport:
    week: str | None = None
    transport: str = ""
    sent: int = 0
    retry: int = 0  # temporary failures, due again later
    failed: int = 0  # refused for good (bounced included)
    bounced: int = 0  # hard bounces: the subscriber is suppressed
    skipped: int = 0  # unsubscribed after the digest was built
    released: int = 0  # held by a dead sender, never sent: back to pending
    journal_delivered: int = 0  # held `sending` by a dead sender whose journal saw a 250
    resent_after_crash: int = 0  # in flight when a sender died: queued again, at the start
    resent_in_all: int = 0  # the digest's messages re-sent after a crash, every send counted
    requeued_unknown: int = 0  # --retry-unknown
    handed_back: int = 0  # no server took them (none reachable): pending again, untouched
    cause: str | None = None  # the last reason a message was not delivered, for the owner
    paused: str | None = None  # why sending stopped early (exit status 1)
    busy: str | None = None  # another sender holds the digest: nothing done
    nothing: str | None = None  # nothing to send, and why
    # the digest's rows per state, after
    counts: dict[DeliveryState, int] = field(default_factory=dict)
    next_retry_at: datetime | None = None
    seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def count(self, verdict: str, error: str | None = None) -> None:
        with self._lock:
            if error and verdict != "sent":
                self.cause = error
            if verdict == "sent":
                self.sent += 1
            elif verdict == "retry":
                self.retry += 1
            elif verdict in ("failed", "bounced"):
                self.failed += 1
                self.bounced += verdict == "bounced"
            elif verdict == "skipped":
                self.skipped += 1
            elif verdict == "pending":
                self.handed_back += 1

    def summary(self) -> str:
        if self.nothing:
            return f"nothing to send: {self.nothing}"
        if self.busy:
            return f"digest {self.week}: {self.busy}"
        problems = self._problems()
        if not (self.sent or problems or self.paused):
            return f"digest {self.week}: nothing due; {self._totals()}"
        rate = f" ({self.sent / self.seconds:.1f}/s)" if self.seconds > 0 and self.sent else ""
        head = f"digest {self.week} via {self.transport}: {self.sent} sent"
        parts = [f"{head} in {self.seconds:.1f} s{rate}", *problems, self._totals()]
        if self.cause and (self.retry or self.handed_back or self.failed):
            parts.append(f"last error: {self.cause}")
        if self.paused:
            parts.append(f"PAUSED: {self.paused}; nothing is lost: run `newsletter send` again")
        return "; ".join(parts)

    @property
    def undelivered(self) -> bool:
        """Messages were due and not one was delivered: the server is down or refusing.
        ``send`` then exits 1, so that cron tells the owner."""
        return not self.sent and bool(self.retry or self.handed_back)

    def _totals(self) -> str:
        count = self.counts.get
        left = count(DeliveryState.PENDING, 0) + count(DeliveryState.CLAIMED, 0)
        totals = f"in all {count(DeliveryState.SENT, 0)} sent, {left} pending"
        if count(DeliveryState.RETRY):
            totals += f", {count(DeliveryState.RETRY)} waiting to retry"
        failed, unknown = count(DeliveryState.FAILED, 0), count(DeliveryState.UNKNOWN, 0)
        return totals + f", {failed} failed, {unknown} unknown"

    def _problems(self) -> list[str]:
        found = []
        if self.retry:
            when = f" after {self.next_retry_at:%Y-%m-%d %H:%M} UTC" if self.next_retry_at else ""
            found.append(f"{self.retry} to retry{when}")
        if self.failed:
            bounced = f" ({self.bounced} bounced, now suppressed)" if self.bounced else ""
            found.append(f"{self.failed} failed{bounced}")
        if self.skipped:
            found.append(f"{self.skipped} skipped (unsubscribed since the digest was built)")
        if self.handed_back:
            found.append(f"{self.handed_back} not handed to any server (kept pending)")
        if self.released:
            found.append(f"{self.released} handed back from a stopped send (never sent)")
        if self.journal_delivered:
            found.append(
                f"{self.journal_delivered} delivered before a send died (its journal says so)"
            )
        if self.resent_after_crash:
            found.append(f"{self.resent_after_crash} re-sent after a crash ({RESENT_HELP})")
        if self.counts.get(DeliveryState.UNKNOWN) and not self.requeued_unknown:
            unknown = self.counts[DeliveryState.UNKNOWN]
            found.append(f"{unknown} still unknown: {UNKNOWN_HELP}")
        if self.requeued_unknown:
            found.append(f"{self.requeued_unknown} unknown re-queued (--retry-unknown)")
        return found

    def as_dict(self) -> dict[str, object]:
        """Every field, in order, as `send --json` and `run --json` print it."""
        shown = {f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_")}
        shown["counts"] = {state.value: n for state, n in self.counts.items()}
        shown["next_retry_at"] = self.next_retry_at.isoformat() if self.next_retry_at else None
        shown["seconds"] = round(self.seconds, 2)
        return shown
