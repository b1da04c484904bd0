"""Fediverse servers on loopback, for the delivery tests (this module holds no tests): each
instance is a port on 127.0.0.1 whose inboxes (any path ending in ``/inbox``) take signed
POSTs and answer 202, recording what they took. An instance can also be down, as real ones
are: ``refusing`` (its port is bound and nothing listens), ``silent`` (the kernel accepts
connections that nobody ever reads), ``hanging`` (the request is read and never answered).

Served by aiohttp in a thread of its own. ``hold_after`` holds every POST after that many
until :meth:`Instances.release`, so a test can act mid-delivery by count (kill the sender),
never by guessing how long a busy machine takes.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from aiohttp import web

Behaviour = str  # "up", "refusing", "silent", "hanging"
# The signature check of a POST (method, url, headers, body): None when it is good, else why.
Check = Callable[[str, str, list[tuple[str, str]], bytes], str | None]


@dataclass(frozen=True)
class Received:
    port: int
    path: str
    activity: str  # the activity's id
    type: str


@dataclass
class Instances:
    behaviours: list[Behaviour]
    check: Check | None = None
    hold_after: int | None = None
    ports: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    refused: int = 0  # POSTs answered 401 by the check
    condition: threading.Condition = field(default_factory=threading.Condition)
    _loop: asyncio.AbstractEventLoop | None = None
    _gate: asyncio.Event | None = None  # set: held POSTs are answered
    _stop: asyncio.Event | None = None  # set: hanging ones give up too
    _sockets: dict[int, socket.socket] = field(default_factory=dict)  # by instance

    def base(self, index: int) -> str:
        return f"http://127.0.0.1:{self.ports[index]}"

    def up(self) -> list[int]:
        return [i for i, b in enumerate(self.behaviours) if b == "up"]

    def wait_for(self, count: int, timeout: float = 120) -> None:
        with self.condition:
            done = self.condition.wait_for(lambda: len(self.received) >= count, timeout)
            assert done, f"the instances took {len(self.received)} POSTs, not {count}"

    def release(self) -> None:
        """Answer the held POSTs, and hold no more."""
        self.hold_after = None
        if self._loop is not None and self._gate is not None:
            self._loop.call_soon_threadsafe(self._gate.set)

    def by_inbox(self, activity: str | None = None) -> Counter[str]:
        """How many times each inbox (as a URL) took ``activity`` (or any)."""
        with self.condition:
            return Counter(
                f"http://127.0.0.1:{r.port}{r.path}"
                for r in self.received
                if activity is None or r.activity == activity
            )

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        assert self._gate is not None and self._stop is not None
        port = request.transport.get_extra_info("sockname")[1] if request.transport else 0
        body = await request.read()
        if self.behaviours[self.ports.index(port)] == "hanging":
            await self._stop.wait()
            return web.Response(status=503)
        if self.check is not None:
            url = f"http://127.0.0.1:{port}{request.path_qs}"
            why = self.check(request.method, url, list(request.headers.items()), body)
            if why is not None:
                with self.condition:
                    self.refused += 1
                return web.Response(status=401, text=why)
        activity = json.loads(body)
        with self.condition:
            self.received.append(Received(port, request.path, activity["id"], activity["type"]))
            self.condition.notify_all()
            held = self.hold_after is not None and len(self.received) > self.hold_after
        if held:
            await self._gate.wait()
        return web.Response(status=202)

    async def _serve(self, ready: threading.Event, done: asyncio.Event) -> None:
        self._gate, self._stop = asyncio.Event(), asyncio.Event()
        app = web.Application(client_max_size=1 << 20)
        app.router.add_post("/{path:.*inbox}", self._handle)
        runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await runner.setup()
        for index, sock in self._sockets.items():
            if self.behaviours[index] in ("up", "hanging"):  # a silent one is never read
                await web.SockSite(runner, sock).start()
        ready.set()
        await done.wait()
        self._stop.set()
        self._gate.set()
        await runner.cleanup()


@contextmanager
def serving(instances: Instances) -> Iterator[Instances]:
    """The instances on their ports for the block (each port bound before it starts)."""
    for index, behaviour in enumerate(instances.behaviours):
        if behaviour == "refusing":
            # Bound and never listening: connections are refused, and the port stays ours. A
            # port closed instead could be handed to the next instance, which would then take
            # the refusing one's POSTs.
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
        else:
            sock = socket.create_server(("127.0.0.1", 0), backlog=128)
        instances.ports.append(int(sock.getsockname()[1]))
        instances._sockets[index] = sock
    loop = asyncio.new_event_loop()
    instances._loop = loop
    done, ready = asyncio.Event(), threading.Event()
    serve = instances._serve(ready, done)
    thread = threading.Thread(target=loop.run_until_complete, args=(serve,), daemon=True)
    thread.start()
    assert ready.wait(60), "the instances did not start"
    try:
        yield instances
    finally:
        loop.call_soon_threadsafe(done.set)
        thread.join(timeout=60)
        loop.close()
        for sock in instances._sockets.values():
            sock.close()
