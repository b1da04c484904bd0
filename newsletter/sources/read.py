"""``read_feeds()``: many feeds at once, consumed from a plain synchronous loop.

An event loop in a background thread fetches with one aiohttp client session, at most
``limits.concurrency`` feeds at a time, and hands bodies to a pool of parser processes.
Results travel to the caller's thread through a ``queue.Queue`` as each feed completes.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import queue
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from newsletter.errors import ParseError
from newsletter.sources.fetch import fetch
from newsletter.sources.pool import ParsePool
from newsletter.sources.types import FetchResult, Limits, SourceRequest, SourceResult

if TYPE_CHECKING:
    from newsletter.sources.client import Client

logger = logging.getLogger(__name__)


More = Callable[[], Sequence[SourceRequest]]
StillHeld = Callable[[int], bool]


def read_feeds(
    requests: Iterable[SourceRequest],
    limits: Limits,
    more: More | None = None,
    still_held: StillHeld | None = None,
) -> Iterator[SourceResult]:
    """Fetch, parse and clean every request; yield one SourceResult per request, as each ends.

    ``more``, when given, is asked for further requests whenever every request so far has
    a slot (so that what is asked for is fetched soon: a collector's leases), until it
    answers none. It runs in a thread of its own, never the caller's, and must not block
    for long. ``still_held``, when given, is asked (in a thread, with the feed id) right
    before each request is fetched; a feed it refuses is dropped without a result (its
    lease ran out: another collector fetches it).

    Results come in completion order, not request order. With no requests at all it yields
    nothing (``more`` is not asked). One feed's failure never raises:
    it is a result with ``fetch.error`` or ``parse_error`` set. Stopping the iteration early
    (``break``, an exception in the caller) cancels what is still running and releases the
    client, the event loop thread and the parser processes.
    """
    # Read the requests here: the iterable may belong to this thread (a database cursor).
    pending = list(requests)
    if not pending:
        return
    runner = _Runner(pending, limits, more, still_held)
    runner.start()
    try:
        while (item := runner.results.get()) is not None:
            if isinstance(item, _Crashed):
                raise item.error
            yield item
    finally:
        runner.stop()


@contextlib.asynccontextmanager
async def _client(
    requests: list[SourceRequest], limits: Limits, more_to_come: bool
) -> AsyncIterator[Client | None]:
    """The HTTP client, unless every feed is a local file (such a site never imports
    aiohttp); requests still to come (``more``) may have URLs."""
    if not more_to_come and not any(r.path is None and r.url for r in requests):
        yield None
        return
    from newsletter.sources.client import make_client

    async with make_client(limits) as client:
        yield client


def _never_fetched(request: SourceRequest) -> bool:
    return request.etag is None and request.last_modified is None and not request.content_hash


def _sole(error: BaseException) -> BaseException:
    """The one error inside a task group's group of one (``more`` raised: the database went
    away), so that the caller sees a StoreError rather than a group."""
    while isinstance(error, BaseExceptionGroup) and len(error.exceptions) == 1:
        error = error.exceptions[0]
    return error


@dataclass(frozen=True)
class _Crashed:
    """The loop itself failed (a bug, not a feed): re-raised in the caller's thread."""

    error: BaseException


class _Runner:
    """The background thread and its event loop. ``results`` ends with None."""

    def __init__(
        self,
        requests: list[SourceRequest],
        limits: Limits,
        more: More | None = None,
        still_held: StillHeld | None = None,
    ) -> None:
        self.results: queue.Queue[SourceResult | _Crashed | None] = queue.Queue()
        self._requests = requests
        self._limits = limits
        self._more = more
        self._still_held = still_held
        self._loop = asyncio.new_event_loop()
        self._main: asyncio.Task[None] | None = None
        self._thread = threading.Thread(target=self._run, name="newsletter-sources", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Cancel what still runs and wait until the client, pool and loop are closed."""
        if self._thread.is_alive():
            with contextlib.suppress(RuntimeError):  # the loop closed in the meantime
                self._loop.call_soon_threadsafe(self._cancel)
        self._thread.join()

    def _cancel(self) -> None:
        if self._main is not None:
            self._main.cancel()

    def _run(self) -> None:
        try:
            self._work()
        except BaseException as exc:
            self.results.put(_Crashed(_sole(exc)))
        finally:
            self.results.put(None)  # always: the consumer waits for it

    def _work(self) -> None:
        try:
            pool = ParsePool(self._limits)
            try:
                # A feed never fetched before will be parsed: start the workers now, before
                # fetching, as starting them costs CPU the fetches' deadlines need. Otherwise
                # (a rerun) they start with the first changed body, or never.
                if any(_never_fetched(request) for request in self._requests):
                    pool.warm_up()
                self._main = self._loop.create_task(self._collect_all(pool))
                with contextlib.suppress(asyncio.CancelledError):  # the consumer stopped early
                    self._loop.run_until_complete(self._main)
            finally:
                pool.close()
        finally:
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.run_until_complete(self._loop.shutdown_default_executor())
            self._loop.close()

    async def _collect_all(self, pool: ParsePool) -> None:
        more_to_come = self._more is not None
        async with (
            _client(self._requests, self._limits, more_to_come) as client,
            asyncio.TaskGroup() as group,
        ):
            concurrency = max(self._limits.concurrency, 1)
            slots = asyncio.Semaphore(concurrency)
            batch: Sequence[SourceRequest] = self._requests
            running: set[asyncio.Task[None]] = set()
            while batch:
                running |= {
                    group.create_task(self._collect_one(client, pool, slots, request))
                    for request in batch
                }
                if self._more is None:
                    return
                running = await _until_fewer_than(concurrency + 1, running)
                batch = await asyncio.get_running_loop().run_in_executor(None, self._more)

    async def _collect_one(
        self,
        client: Client | None,
        pool: ParsePool,
        slots: asyncio.Semaphore,
        request: SourceRequest,
    ) -> None:
        # A slot covers parsing too, so at most `concurrency` bodies are held in memory.
        async with slots:
            if not await self._held(request):
                return
            started = time.monotonic()
            try:
                result = await self._fetch_and_parse(client, pool, request)
            except Exception as exc:  # a bug, but still only this feed's problem
                logger.exception("collecting %s failed", request.key)
                result = SourceResult(
                    request, FetchResult(status_code=None, error=f"internal error: {exc!r}")
                )
            # The body has been parsed (or refused): drop it, so results waiting in the
            # queue for a slow consumer hold entries, not megabytes of raw feed.
            fetched = replace(result.fetch, body=None)
            self.results.put(replace(result, fetch=fetched, elapsed=time.monotonic() - started))

    async def _held(self, request: SourceRequest) -> bool:
        if self._still_held is None:
            return True
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, self._still_held, request.feed_id)

    async def _fetch_and_parse(
        self, client: Client | None, pool: ParsePool, request: SourceRequest
    ) -> SourceResult:
        fetched = await fetch(client, request, self._limits)
        if fetched.status_code == 304:
            return SourceResult(request, fetched, unchanged=True)
        if fetched.body is None or fetched.error:
            return SourceResult(request, fetched)
        body_hash = hashlib.sha256(fetched.body).hexdigest()
        if body_hash == request.content_hash:
            return SourceResult(request, fetched, body_hash=body_hash, unchanged=True)
        try:
            parsed = await pool.parse(fetched.body, fetched.headers, fetched.final_url, request.key)
        except ParseError as exc:
            return SourceResult(request, fetched, body_hash=body_hash, parse_error=str(exc))
        return SourceResult(request, fetched, body_hash=body_hash, parsed=parsed)


async def _until_fewer_than(count: int, tasks: set[asyncio.Task[None]]) -> set[asyncio.Task[None]]:
    """Wait until fewer than ``count`` of ``tasks`` are unfinished (then none waits for a
    slot, and the next batch asked for will not wait long either); return those."""
    pending = {task for task in tasks if not task.done()}
    while len(pending) >= count:
        _, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
    return pending
