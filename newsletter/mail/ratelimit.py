"""A rate limit shared by every worker of a send: a token bucket holding one token."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class RateLimiter:
    """``wait()`` returns when the caller may send its next message. Each call reserves the
    next free slot (1/rate seconds after the previous one) under a lock and then sleeps
    outside it, so workers queue fairly and no burst exceeds the rate. ``rate=None``: no
    limit. The clock and the sleeper are injectable for tests."""

    def __init__(
        self,
        rate: float | None,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate is not None and rate <= 0:
            raise ValueError("rate must be positive")
        self.interval = 1.0 / rate if rate else 0.0
        self._monotonic = monotonic
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next = float("-inf")

    def wait(self) -> None:
        if not self.interval:
            return
        with self._lock:
            now = self._monotonic()
            slot = max(now, self._next)
            self._next = slot + self.interval
        if slot > now:
            self._sleep(slot - now)
