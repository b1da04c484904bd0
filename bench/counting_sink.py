"""A loopback SMTP sink that counts the messages each recipient gets, in its own process.

Recipients are numbered by their address, reader0000042@bench.example → 42 (the addresses
bench/pg_setup.py inserts); anything else is a stranger. Asked over a pipe, it answers with
the count of every number (one byte each, saturating at 255) and the number of strangers.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Any, ClassVar

from bench import send as send_bench


class CountingSink(send_bench.SinkProtocol):
    """The bench sink, counting messages per recipient number (reader0000042 → 42)."""

    counts: ClassVar[bytearray] = bytearray()
    strangers: ClassVar[list[int]] = [0]

    def command(self, line: bytes) -> None:
        if line[:8].upper() != b"RCPT TO:":
            return
        local = line.partition(b"<")[2].partition(b"@")[0]
        number = int(local[6:]) if local.startswith(b"reader") and local[6:].isdigit() else -1
        if 0 <= number < len(self.counts):
            self.counts[number] = min(255, self.counts[number] + 1)
        else:
            self.strangers[0] += 1


def run_counting_sink(size: int, ports: Any, requests: Connection) -> None:
    CountingSink.counts = bytearray(size)

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(CountingSink, "127.0.0.1", 0)

        def answer() -> None:
            requests.recv()
            requests.send(
                {"counts": bytes(CountingSink.counts), "strangers": CountingSink.strangers[0]}
            )

        loop.add_reader(requests.fileno(), answer)
        ports.put(server.sockets[0].getsockname()[1])
        await server.serve_forever()

    asyncio.run(serve())


@contextmanager
def counting_sink(size: int) -> Iterator[tuple[int, Connection, int]]:
    """The counting sink in its own process: yields (port, request pipe, pid)."""
    context = multiprocessing.get_context("spawn")
    ports = context.Queue()
    mine, theirs = context.Pipe()
    process = context.Process(target=run_counting_sink, args=(size, ports, theirs), daemon=True)
    process.start()
    try:
        assert process.pid is not None
        yield ports.get(timeout=30), mine, process.pid
    finally:
        process.terminate()
        process.join()
        ports.close()
        mine.close()
        theirs.close()
