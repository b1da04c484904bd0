"""At most one log line a minute from waitress's "Task queue depth" warnings.

Under load waitress warns on every request that waits for a thread: thousands of lines
that say one thing and bury everything else in the log. One line per interval, counting
the ones held back, still tells the owner the server is saturated."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

QUEUE_LOGGER = "waitress.queue"
INTERVAL_SECONDS = 60.0


class OncePerInterval(logging.Filter):
    """Let one record through per ``interval`` seconds; the next one says how many were held."""

    def __init__(
        self, interval: float = INTERVAL_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__()
        self.interval, self.clock = interval, clock
        self._lock = threading.Lock()
        self._last: float | None = None
        self._held = 0

    def filter(self, record: logging.LogRecord) -> bool:
        now = self.clock()
        with self._lock:
            if self._last is not None and now - self._last < self.interval:
                self._held += 1
                return False
            held, self._held, self._last = self._held, 0, now
        if held:
            record.msg = f"{record.getMessage()} ({held} more like it held back)"
            record.args = ()
        return True


def quiet_queue_warnings() -> None:
    """Install the filter on waitress's queue logger, once per process."""
    logger = logging.getLogger(QUEUE_LOGGER)
    if not any(isinstance(f, OncePerInterval) for f in logger.filters):
        logger.addFilter(OncePerInterval())
