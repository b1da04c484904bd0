"""One collector's part in a round shared with collectors on other machines (PostgreSQL).

The collector claims due feeds a few at a time, each claim a lease; a thread renews its
leases while it works; recording a feed ends its lease. What the claims return is kept
here, for the pipeline to record each result against the state it was fetched with.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta

from newsletter.collect.decide import lease_renewal_due, source_request
from newsletter.errors import StoreError
from newsletter.sources.types import SourceRequest
from newsletter.store import SqlStore
from newsletter.store.feeds import FeedState, HeldLease

Clock = Callable[[], datetime]
logger = logging.getLogger(__name__)


def collector_name() -> str:
    """Who holds a lease: the machine and process (for a person reading the table), and a
    random part, as a pid is reused."""
    return f"{socket.gethostname()[:120]}:{os.getpid()}:{secrets.token_hex(4)}"


def lease_clock(store: SqlStore, clock: Clock) -> Clock:
    """The clock leases are reckoned by: the database's, read once, moved on by ``clock``.
    Collectors whose machines' clocks disagree (by more than a lease, even) then agree on
    whose lease ran out; and a test that advances ``clock`` advances the leases too."""
    database = store.database_now()
    if database is None:
        return clock
    offset = database - clock()
    return lambda: clock() + offset


class SharedRound:
    """The feeds this collector claimed in round ``round_id``, claimed ``batch`` at a time;
    ``clock`` is the lease clock (``lease_clock``).
    ``claim`` may be called from the sources' thread while the pipeline reads ``claimed``:
    a feed is in ``claimed`` before its request is handed out."""

    def __init__(
        self,
        store: SqlStore,
        round_id: int,
        due: Sequence[int],
        clock: Clock,
        lease: timedelta,
        batch: int,
    ) -> None:
        self.store = store
        self.round_id = round_id
        self.owner = collector_name()
        self.claimed: dict[int, FeedState] = {}
        self._due = list(due)
        self.clock = clock
        self.lease = lease
        self._batch = max(batch, 1)

    def claim(self) -> list[SourceRequest]:
        """Lease the next few feeds of the round nobody holds; none when none is left."""
        states = self.store.claim_feeds(
            self.round_id, self.owner, self._due, self.clock(), self.lease, self._batch
        )
        self.claimed.update((state.id, state) for state in states)
        return [source_request(state) for state in states]

    def held(self) -> HeldLease:
        """This collector's leases as of now, for recording a result only while held."""
        return HeldLease(self.owner, self.clock())

    def still_held(self, feed_id: int) -> bool:
        """Asked before each fetch: a feed whose lease ran out (this collector was paused
        past it) may be another's by now, and is left to it."""
        return self.store.lease_held(feed_id, self.held())

    def others_until(self) -> datetime | None:
        return self.store.others_lease_until(self.owner, self.clock())

    def finish(self) -> bool:
        return self.store.finish_round(self.round_id, self.clock())

    def give_back(self) -> None:
        """After a failure: what this collector still holds goes back to the others at once.
        The database may be what failed; then the leases run out instead."""
        try:
            self.store.release_leases(self.owner)
        except StoreError as exc:
            logger.warning("could not give back the leased feeds: %s", exc)


@contextmanager
def keeping_leases(shared: SharedRound) -> Iterator[None]:
    """Renew a collector's leases from a thread while the body works. The thread wakes a
    few times per lease and renews once the leases are half spent."""
    stop = threading.Event()
    thread = threading.Thread(
        target=_renew_until, args=(shared, stop), name="newsletter-leases", daemon=True
    )
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _renew_until(shared: SharedRound, stop: threading.Event) -> None:
    lease = shared.lease
    renewed = shared.clock()
    while not stop.wait(lease.total_seconds() / 8):
        now = shared.clock()
        if lease_renewal_due(renewed, now, lease):
            renewed = _renew(shared, now) or renewed


def _renew(shared: SharedRound, now: datetime) -> datetime | None:
    try:
        shared.store.renew_leases(shared.owner, now + shared.lease)
    except StoreError as exc:  # the next tick tries again; at worst the leases run out
        logger.warning("could not renew the leased feeds: %s", exc)
        return None
    return now
