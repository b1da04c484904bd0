"""The SMTP transport against aiosmtpd: login, a refused login (sending pauses at once),
the reply kept, a connection reused for many messages, the next transaction started with a
message's body (and dropped, never delivered empty, when it does not follow)."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from newsletter.mail import send_digest
from newsletter.mail.transport import Envelope, FatalFailure, Route, SmtpTransport, SmtpUrl
from newsletter.store import SqlStore
from newsletter.store.deliveries import DeliveryState
from tests.support.clock import Clock
from tests.support.send import (
    LoopbackController,
    Recorder,
    add_digest,
    add_subscribers,
    recording_smtp,
    site,
)


class Connections(Recorder):
    """Counts the sessions the client opened."""

    sessions: int = 0

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        Connections.sessions += 1
        session.host_name = hostname
        return responses


def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"news", b"s3cr:t")
    return AuthResult(success=ok, handled=False)  # not handled: aiosmtpd answers 535


@pytest.fixture
def server() -> Iterator[tuple[Connections, int]]:
    recorder = Connections()
    Connections.sessions = 0
    controller = LoopbackController(
        recorder,
        hostname="127.0.0.1",
        port=0,
        authenticator=authenticate,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield recorder, controller.port
    finally:
        controller.stop()


def envelope(n: int) -> Envelope:
    data = f"Subject: {n}\r\nMessage-ID: <{n}@x>\r\n\r\nhello\r\n".encode()
    return Envelope("news@example.com", f"r{n}@example.org", data, f"<{n}@x>")


def route(n: int) -> Route:
    return Route("news@example.com", f"r{n}@example.org")


ROUTE_4 = b"MAIL FROM:<news@example.com>\r\nRCPT TO:<r4@example.org>\r\nDATA\r\n"


def test_login_then_many_messages_over_one_connection(server: tuple[Connections, int]) -> None:
    recorder, port = server
    transport = SmtpTransport(SmtpUrl.parse(f"smtp://news:s3cr%3At@127.0.0.1:{port}"))
    try:
        replies = [transport.send(envelope(n)) for n in range(5)]
    finally:
        transport.close()
    assert [(r.code, r.stage) for r in replies] == [(250, "data")] * 5
    assert replies[0].text == "2.0.0 queued as 1"
    assert len(recorder.messages) == 5 and Connections.sessions == 1


def test_a_refused_login_is_fatal(server: tuple[Connections, int]) -> None:
    _, port = server
    transport = SmtpTransport(SmtpUrl.parse(f"smtp://news:wrong@127.0.0.1:{port}"))
    with pytest.raises(FatalFailure, match="535"):
        transport.send(envelope(1))
    transport.close()


def test_a_refused_login_pauses_sending_with_nothing_marked(
    server: tuple[Connections, int], store: SqlStore, clock: Clock, tmp_path: Path
) -> None:
    recorder, port = server
    add_subscribers(store, [f"r{n}@example.org" for n in range(5)])
    digest_id = add_digest(store)
    settings, _ = site(tmp_path / "site", f"smtp://news:wrong@127.0.0.1:{port}")
    report = send_digest(settings, store, clock)
    assert report.paused is not None and "refused us: 535" in report.paused
    assert "wrong" not in report.summary(), "never the password"
    assert store.delivery_counts(digest_id)[DeliveryState.PENDING] == 5 and recorder.messages == []


@pytest.mark.parametrize(("pipelining", "writes"), [(True, 2), (False, 4)])
def test_pipelining_halves_the_round_trips(
    pipelining: bool, writes: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[bytes | str] = []
    original = smtplib.SMTP.send

    def counting(self: smtplib.SMTP, data: bytes | str) -> None:
        seen.append(data)
        original(self, data)

    with recording_smtp(pipelining=pipelining) as (recorder, url):
        recorder.tempfail_once.add("r2@example.org")
        transport = SmtpTransport(SmtpUrl.parse(url))
        try:
            transport.send(envelope(1))  # opens the connection (EHLO)
            monkeypatch.setattr(smtplib.SMTP, "send", counting)
            sent = transport.send(envelope(3))
            monkeypatch.undo()
            refused = transport.send(envelope(2))
            after = transport.send(envelope(4))
        finally:
            transport.close()
    assert sent.code == 250 and len(seen) == writes, seen
    assert (refused.code, refused.stage) == (451, "rcpt"), "refused at RCPT, however asked"
    assert after.code == 250, "the connection carries on after a refusal"
    assert recorder.recipients() == ["r1@example.org", "r3@example.org", "r4@example.org"]


@pytest.mark.parametrize("pipelining", [True, False])
def test_lines_starting_with_a_dot_arrive_intact(pipelining: bool) -> None:
    data = b"Subject: dots\r\n\r\n.first\r\nmiddle\r\n..two\r\n.\r\nlast"
    with recording_smtp(pipelining=pipelining) as (recorder, url):
        transport = SmtpTransport(SmtpUrl.parse(url))
        try:
            reply = transport.send(Envelope("a@example.com", "b@example.org", data, "<d@x>"))
        finally:
            transport.close()
    assert reply.code == 250
    (received,) = recorder.messages
    assert received.data == data + b"\r\n"


def test_the_next_transaction_goes_out_with_the_body(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bytes | str] = []
    original = smtplib.SMTP.send

    def counting(self: smtplib.SMTP, data: bytes | str) -> None:
        seen.append(data)
        original(self, data)

    with recording_smtp() as (recorder, url):
        recorder.tempfail_once.add("r5@example.org")
        transport = SmtpTransport(SmtpUrl.parse(url))
        try:
            transport.send(envelope(1))  # opens the connection (EHLO)
            monkeypatch.setattr(smtplib.SMTP, "send", counting)
            replies = [transport.send(envelope(n), route(n + 1)) for n in (2, 3, 4)]
            monkeypatch.undo()
            refused = transport.send(envelope(5))  # started ahead, refused at RCPT
            after = transport.send(envelope(6))
        finally:
            transport.close()
    assert len(seen) == 4, "one write per message, and the first one's commands"
    assert seen[2] == envelope(3).message + b".\r\n" + ROUTE_4
    assert [(r.code, r.stage) for r in replies] == [(250, "data")] * 3
    assert (refused.code, refused.stage) == (451, "rcpt") and after.code == 250
    assert recorder.recipients() == [f"r{n}@example.org" for n in (1, 2, 3, 4, 6)]


@pytest.mark.parametrize("then", ["close", "another message"])
def test_a_transaction_started_ahead_but_not_followed_delivers_nothing(then: str) -> None:
    with recording_smtp() as (recorder, url):
        transport = SmtpTransport(SmtpUrl.parse(url))
        try:
            first = transport.send(envelope(1), route(2))
            if then == "another message":
                other = transport.send(envelope(3))
                assert other.code == 250
            transport.close()
            after = SmtpTransport(SmtpUrl.parse(url))
            assert after.send(envelope(4)).code == 250, "the server is still fine"
            after.close()
        finally:
            transport.close()
        expected = ["r1@example.org", "r3@example.org", "r4@example.org"]
        if then == "close":
            expected.remove("r3@example.org")
        assert first.code == 250
        assert recorder.recipients() == expected, "no empty message for r2"


def test_a_drop_with_the_next_transaction_started_sends_each_once() -> None:
    with recording_smtp() as (recorder, url):
        recorder.drop_once.add("r2@example.org")
        transport = SmtpTransport(SmtpUrl.parse(url))
        try:
            replies = [transport.send(envelope(n), route(n + 1)) for n in (1, 2)]
            replies.append(transport.send(envelope(3)))
        finally:
            transport.close()
    assert [r.code for r in replies] == [250, 250, 250]
    assert recorder.recipients() == ["r1@example.org", "r2@example.org", "r3@example.org"]
