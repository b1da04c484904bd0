"""Worker processes for parsing, replaced when one dies.

Processes, not threads: parsing is pure Python (feedparser) and would hold the GIL; and a
process can be given a memory limit, so a hostile feed costs one worker, not the run.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from newsletter.errors import NewsletterError, ParseError
from newsletter.sources.types import Limits, ParsedFeed

T = TypeVar("T")

# Import the heavy modules once in the fork server, so each new worker starts warm.
_PRELOAD = ["newsletter.sources.parse"]


class ParsePool:
    """A ProcessPoolExecutor that is rebuilt when a worker dies (BrokenProcessPool)."""

    def __init__(self, limits: Limits) -> None:
        self._limits = limits
        # forkserver, not fork: the parent runs threads (the event loop), and forking a
        # threaded process can copy a lock held by another thread.
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(_PRELOAD)
        self._workers = limits.parse_workers or os.cpu_count() or 1
        self._executor: ProcessPoolExecutor | None = None  # built when first needed
        self._started = False
        self._starting = asyncio.Lock()

    async def parse(
        self, body: bytes, headers: Mapping[str, str], feed_url: str | None, feed_key: str
    ) -> ParsedFeed:
        """Parse in a worker. Raises ParseError, also when the worker process died."""
        from newsletter.sources.parse import parse_document

        return await self.run(
            parse_document, body, dict(headers), feed_url, feed_key, self._limits.deadline
        )

    async def run(self, function: Callable[..., T], *args: object) -> T:
        """Run a picklable ``function`` in a worker; the pool survives a worker's death."""
        if not self._started:
            await self._start()
        executor = self._live_executor()
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(executor, function, *args)
        except BrokenProcessPool:
            self._replace(executor)
            raise ParseError("the parser process died (memory limit?)") from None

    async def _start(self) -> None:
        """Start the workers when the first body needs parsing, not before: a run whose
        feeds all answered 304 (or sent the same bytes) never starts a process."""
        async with self._starting:
            if self._started:
                return
            try:
                await asyncio.to_thread(self.warm_up)
            except NewsletterError as exc:
                raise ParseError(str(exc)) from exc

    def warm_up(self) -> None:
        """Start every worker now, from the calling thread.

        Spawning happens inside ``submit``; on the event loop it would stall every fetch.
        """
        executor = self._live_executor()
        futures = [executor.submit(os.getpid) for _ in range(self._workers)]
        try:
            for future in futures:
                future.result()
        except BrokenProcessPool as exc:
            # Not one feed's problem: nothing could be parsed. Seen when the main module
            # cannot be imported again by the workers (a script read from stdin).
            raise NewsletterError("the parser processes could not start") from exc
        self._started = True

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)

    def _live_executor(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = self._new_executor()
        return self._executor

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        # Every feed queued on the broken pool lands here; only the first one rebuilds.
        if self._executor is broken:
            broken.shutdown(wait=True, cancel_futures=True)  # its workers are gone already
            self._executor = self._new_executor()

    def _new_executor(self) -> ProcessPoolExecutor:
        # feedparser is imported with the parser, not before: a rerun may parse nothing.
        from newsletter.sources.parse import init_worker

        return ProcessPoolExecutor(
            max_workers=self._workers,
            mp_context=self._context,
            initializer=init_worker,
            initargs=(self._limits.parse_memory_mb, os.getpid()),
        )
