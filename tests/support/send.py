"""What the delivery tests share: a recording SMTP server on loopback (aiosmtpd, in this
process), digests inserted by hand, and site folders. The tests at the bottom check that
the server itself misbehaves exactly as asked, so the others can trust it."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from newsletter.config import Settings, load_settings
from newsletter.store import SqlStore
from newsletter.store.deliveries import DeliveryState
from newsletter.store.digests import DigestDraft
from newsletter.store.subscribers import NewSubscriber, SubscriberSource, SubscriberState

SECRET = "test-secret-key-for-signing-0123456789"
BASE_URL = "https://news.example.com/"
SITE = """\
site:
  title: {title}
  url: https://www.example.com/
newsletter:
  from: Best Running Tips <news@example.com>
feeds: []
"""
TEXT = "This week: tempo runs.\n\nUnsubscribe: %%UNSUBSCRIBE_URL%%\n"
HTML = (
    "<html><body><p>This week: <b>tempo runs</b>.</p>"
    '<p><a href="%%UNSUBSCRIBE_URL%%">Unsubscribe</a></p></body></html>\n'
)


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Recorder:
    """An aiosmtpd handler: records what it accepts; per address it can answer 451 once,
    550 always, or drop the connection once instead of answering DATA."""

    messages: list[Received] = field(default_factory=list)
    tempfail_once: set[str] = field(default_factory=set)
    reject: set[str] = field(default_factory=set)
    drop_once: set[str] = field(default_factory=set)
    refuse_sender: bool = False
    delay: float = 0.0  # seconds before answering DATA: a slow server
    pipelining: bool = True  # advertise RFC 2920 (aiosmtpd reads pipelined commands fine)
    # Messages after this many are recorded but not answered until release(): a test can
    # then act mid-send by count, not by guessing how long a busy machine takes.
    hold_after: int | None = None
    condition: threading.Condition = field(default_factory=threading.Condition)
    gate: threading.Event = field(default_factory=threading.Event)

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        if self.pipelining:
            return [*responses[:1], "250-PIPELINING", *responses[1:]]
        return responses

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.refuse_sender:
            return "553 5.7.1 sender address rejected"
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.reject:
            return "550 5.1.1 no such user here"
        if address in self.tempfail_once:
            self.tempfail_once.discard(address)
            return "451 4.7.1 greylisted, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        recipient = envelope.rcpt_tos[0]
        if recipient in self.drop_once:
            self.drop_once.discard(recipient)
            server.transport.abort()  # hang up without an answer: nothing was accepted
            return "421 gone"
        with self.condition:
            self.messages.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content)
            )
            self.condition.notify_all()
            held = self.hold_after is not None and len(self.messages) > self.hold_after
        if held:
            await asyncio.get_running_loop().run_in_executor(None, self.gate.wait)
        if self.delay:
            await asyncio.sleep(self.delay)
        return f"250 2.0.0 queued as {len(self.messages)}"

    def wait_for(self, count: int, timeout: float = 60) -> None:
        with self.condition:
            assert self.condition.wait_for(lambda: len(self.messages) >= count, timeout), (
                f"the server received {len(self.messages)} messages, not {count}"
            )

    def release(self) -> None:
        """Answer the held messages, and hold no more."""
        self.hold_after = None
        self.gate.set()

    def hold_again(self, after: int) -> None:
        """Answer the messages held so far, and from now on hold those after the first
        ``after`` received (counted since the server started)."""
        held, self.gate = self.gate, threading.Event()
        self.hold_after = after
        held.set()

    def recipients(self) -> list[str]:
        with self.condition:
            return [m.rcpt_tos[0] for m in self.messages]


class LoopbackController(Controller):
    """aiosmtpd's Controller on port 0: ask the kernel for a free port, then use it."""

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]  # aiosmtpd is untyped here


@contextmanager
def recording_smtp(pipelining: bool = True) -> Iterator[tuple[Recorder, str]]:
    """A recording SMTP server and its NEWSLETTER_SMTP_URL (each test module wraps this in
    its own ``smtp`` fixture)."""
    recorder = Recorder(pipelining=pipelining)
    # aiosmtpd gives up after 5 s by default: too soon on a machine with both cores busy.
    controller = LoopbackController(recorder, hostname="127.0.0.1", port=0, ready_timeout=60)
    controller.start()
    try:
        yield recorder, f"smtp://127.0.0.1:{controller.port}"
    finally:
        recorder.release()  # a held handler would keep the server from stopping
        controller.stop()


def site(
    root: Path,
    smtp_url: str | None = None,
    database_url: str | None = None,
    title: str = "Best Running Tips",
    **env: str,
) -> tuple[Settings, dict[str, str]]:
    """A site folder: feeds.yaml, and the environment a subprocess would get."""
    root.mkdir(parents=True, exist_ok=True)
    config = SITE.format(title=json.dumps(title))  # a JSON string is a YAML string
    (root / "feeds.yaml").write_text(config, encoding="utf-8")
    environ = {"NEWSLETTER_SECRET_KEY": SECRET, "NEWSLETTER_BASE_URL": BASE_URL, **env}
    if smtp_url:
        environ["NEWSLETTER_SMTP_URL"] = smtp_url
    else:
        environ.setdefault("NEWSLETTER_OUTBOX", "outbox")
    if database_url:
        environ["NEWSLETTER_DATABASE_URL"] = database_url
    return load_settings(root / "feeds.yaml", environ), environ


def add_digest(
    store: SqlStore,
    week: str = "2026-W48",
    subject: str = "Best Running Tips: week 48",
    text: str = TEXT,
    html: str = HTML,
) -> int:
    """A digest recorded as `newsletter digest` records one: its audience (the active
    subscribers at that moment) queued in the same transaction."""
    now = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
    draft = DigestDraft(week, subject, html, text, now, now, None, (), now)
    built, _ = store.save_digest(draft)
    return built.id


def add_subscribers(store: SqlStore, emails: list[str], state: str = "active") -> None:
    as_state = SubscriberState(state)
    new = [NewSubscriber(e, e.lower(), None, as_state, SubscriberSource.CLI) for e in emails]
    for start in range(0, len(new), 500):
        store.import_changes(new[start : start + 500], [], datetime(2026, 11, 1, tzinfo=UTC))


def queued(store: SqlStore, count: int) -> tuple[int, list[str]]:
    """A digest with ``count`` active subscribers, each with a pending delivery."""
    emails = [f"r{n:04}@example.org" for n in range(count)]
    add_subscribers(store, emails)
    digest_id = add_digest(store)
    assert store.delivery_counts(digest_id)[DeliveryState.PENDING] == count
    return digest_id, emails


CLOCKED = Path(__file__).parent / "clocked.py"


def run_newsletter(
    *args: str, cwd: Path, env: dict[str, str], background: bool = False, now: str | None = None
) -> Any:
    """`python -m newsletter ARGS` in a site folder, with only our NEWSLETTER_* variables;
    with ``now`` (an ISO time), its clock set there (tests/support/clocked.py)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("NEWSLETTER_")}
    environ.update(env)
    command = [sys.executable, "-m", "newsletter", *args]
    if now is not None:
        command = [sys.executable, str(CLOCKED), *args]
        environ["CLOCKED_NOW"] = now
    if background:
        return subprocess.Popen(
            command, cwd=cwd, env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
    return subprocess.run(
        command, cwd=cwd, env=environ, capture_output=True, text=True, timeout=300, check=False
    )


# For the smtp fixture: the server with and without PIPELINING (the transport speaks both ways).
BOTH_WAYS = pytest.mark.parametrize(
    "smtp", [True, False], ids=["pipelining", "one-by-one"], indirect=True
)
