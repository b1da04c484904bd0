"""Issue 24, item 4: the IMAP client against a hostile server on loopback (asyncio, in a
thread). A server that dribbles bytes for ever meets the fetch's deadline (time injected:
each read of the clock is 20 s later, so no test waits); a literal of 3 GB is refused
before a byte of it is read; non-ASCII in the SEARCH answer is one clean error; a message
over 1 MiB is fetched only to 1 MiB + 1 byte and recorded as unclassified."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable, Iterator

import pytest

from newsletter.errors import ConfigError
from newsletter.mail.bounces.imap import ImapMailbox, ImapUrl, MailboxError
from newsletter.mail.bounces.mailbox import MAX_MESSAGE
from newsletter.mail.bounces.process import bounce_report

Answer = Callable[[str, str, asyncio.StreamWriter], Awaitable[bool]]
GREETING = b"* OK [CAPABILITY IMAP4rev1] hostile ready\r\n"
BIG = b"Subject: big\r\n\r\n" + b"x" * (2 * MAX_MESSAGE)


class Hostile:
    """An IMAP server that answers LOGIN, SELECT and CREATE, then lets ``answer`` play the
    rest (True: answered); records each command it received."""

    def __init__(self, answer: Answer, greeting: Callable[[asyncio.StreamWriter], Awaitable[None]]):
        self.answer, self.greeting = answer, greeting
        self.commands: list[str] = []
        self.tasks: set[asyncio.Task[None]] = set()

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.tasks.add(task)
        try:
            await self._converse(reader, writer)
        finally:
            writer.close()

    async def stop(self, listening: asyncio.Server) -> None:
        """No more connections, and every conversation ended, its socket closed."""
        listening.close()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await listening.wait_closed()

    async def _converse(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            await self.greeting(writer)
            while line := await reader.readline():
                tag, _, command = line.decode("ascii", "replace").strip().partition(" ")
                self.commands.append(command)
                name = command.split(" ", 1)[0].upper()
                if not await self.answer(tag, command, writer):
                    ending = b"* BYE\r\n" if name == "LOGOUT" else b""
                    writer.write(ending + f"{tag} OK {name} done\r\n".encode())
                await writer.drain()


@contextlib.contextmanager
def serving(server: Hostile) -> Iterator[int]:
    loop = asyncio.new_event_loop()
    started = loop.run_until_complete(asyncio.start_server(server.serve, "127.0.0.1", 0))
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield started.sockets[0].getsockname()[1]
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(started), loop).result()
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()


async def greet(writer: asyncio.StreamWriter) -> None:
    writer.write(GREETING)
    await writer.drain()


async def dribble(writer: asyncio.StreamWriter) -> None:
    """A greeting that never ends: one byte at a time."""
    writer.write(b"* OK ")
    while True:
        writer.write(b"x")
        await writer.drain()
        await asyncio.sleep(0.001)


def search_answer(found: bytes, fetched: bytes | None = None, announced: int = 0) -> Answer:
    async def answer(tag: str, command: str, writer: asyncio.StreamWriter) -> bool:
        upper = command.upper()
        if upper.startswith("UID SEARCH"):
            writer.write(b"* SEARCH " + found + b"\r\n" + f"{tag} OK SEARCH done\r\n".encode())
            return True
        if upper.startswith("UID FETCH") and fetched is not None:
            size = announced or len(fetched)
            writer.write(f"* 1 FETCH (UID 1 BODY[]<0> {{{size}}}\r\n".encode() + fetched)
            writer.write(b")\r\n" + f"{tag} OK FETCH done\r\n".encode())
            return True
        return False

    return answer


def mailbox(port: int, clock: Callable[[], float], query: str = "") -> ImapMailbox:
    return ImapMailbox(ImapUrl.parse(f"imap://u:p@127.0.0.1:{port}/INBOX{query}"), clock=clock)


def twenty_seconds_a_read() -> Callable[[], float]:
    now = [0.0]

    def clock() -> float:
        now[0] += 20
        return now[0]

    return clock


def test_a_dribbling_server_meets_the_deadline() -> None:
    server = Hostile(search_answer(b""), dribble)
    with serving(server) as port, pytest.raises(MailboxError) as caught:
        mailbox(port, twenty_seconds_a_read(), "?deadline=200").__enter__()
    assert "ran past its deadline" in str(caught.value)
    assert "\n" not in str(caught.value) and "u:p" not in str(caught.value)


def test_the_deadline_is_600_seconds_unless_the_url_says() -> None:
    assert ImapUrl.parse("imaps://u:p@mail.example.com/INBOX").deadline == 600
    assert ImapUrl.parse("imaps://u:p@mail.example.com/INBOX?deadline=90").deadline == 90
    with pytest.raises(ConfigError, match="deadline"):
        ImapUrl.parse("imaps://u:p@mail.example.com/INBOX?deadline=soon")


def test_a_3_gb_literal_is_refused_before_it_is_read() -> None:
    answer = search_answer(b"1", fetched=b"x" * 100, announced=3_000_000_000)
    refused = pytest.raises(MailboxError, match="literal of 3000000000 bytes")
    with serving(Hostile(answer, greet)) as port, mailbox(port, lambda: 0.0) as box, refused:
        list(box.messages())


def test_non_ascii_in_the_search_answer_is_one_clean_error() -> None:
    server = Hostile(search_answer(b"1 2 \xff\xfe"), greet)
    with (
        serving(server) as port,
        mailbox(port, lambda: 0.0) as box,
        pytest.raises(MailboxError) as caught,
    ):
        list(box.messages())
    assert str(caught.value).endswith("the server's SEARCH answer is not a list of UIDs")


def test_a_message_over_1_mib_is_fetched_to_1_mib_and_unclassified() -> None:
    server = Hostile(search_answer(b"1", fetched=BIG[: MAX_MESSAGE + 1]), greet)
    with serving(server) as port, mailbox(port, lambda: 0.0) as box:
        (message,) = list(box.messages())
        message.ack()
    assert len(message.data) == MAX_MESSAGE + 1
    assert f"UID FETCH 1 (BODY.PEEK[]<0.{MAX_MESSAGE + 1}>)" in server.commands
    report = bounce_report(message.data, None)
    assert (report.kind, report.detail) == ("unclassified", "over 1024 KiB: not read")
    assert any(c.startswith("UID MOVE 1") or c.startswith("UID COPY 1") for c in server.commands)
    # Keyed by its first bytes: the same key on every run.
    assert report.message_key == bounce_report(BIG[: MAX_MESSAGE + 1], None).message_key
