"""Transports: an SMTP server over a persistent connection, or the outbox folder.

The only module of newsletter that speaks SMTP. A transport hands one message to its
destination and returns the server's :class:`Reply`; the sender decides what the reply
means (``newsletter.mail.decide``). Connections that cannot be made or kept raise
:class:`TransientFailure`; a refused login or TLS setup raises :class:`FatalFailure`,
because retrying it message after message would only repeat the refusal.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import smtplib
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol
from urllib.parse import unquote, urlsplit

from newsletter.errors import ConfigError

Stage = Literal["mail", "rcpt", "data", "outbox"]
DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
TIMEOUT = 60.0  # seconds of silence tolerated from the server


@dataclass(frozen=True)
class Envelope:
    sender: str
    recipient: str
    message: bytes
    message_id: str


@dataclass(frozen=True)
class Reply:
    """The server's answer, and to which step of the transaction."""

    code: int
    text: str
    stage: Stage

    def __str__(self) -> str:
        return f"{self.code} {self.text}".strip()


class TransientFailure(Exception):
    """The connection could not be made (``before_data``: nothing was sent) or was lost
    twice in a row."""

    def __init__(self, message: str, before_data: bool) -> None:
        super().__init__(message)
        self.before_data = before_data


class FatalFailure(Exception):
    """The server refuses us as a client (login, TLS): stop sending."""


@dataclass(frozen=True)
class Route:
    """An envelope's addresses: what MAIL FROM and RCPT TO need, known before its message
    is rendered."""

    sender: str
    recipient: str


class Transport(Protocol):
    def send(self, envelope: Envelope, following: Route | None = None) -> Reply:
        """Hands over one message. ``following``: the route of the message the caller
        will send next, committed to already; a transport may start its transaction
        early."""

    def close(self) -> None: ...


@dataclass(frozen=True)
class SmtpUrl:
    scheme: str
    host: str
    port: int
    username: str | None = None
    password: str | None = None

    @classmethod
    def parse(cls, url: str) -> SmtpUrl:
        parts = urlsplit(url)
        if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
            raise ConfigError(
                "NEWSLETTER_SMTP_URL must look like smtp://[user:pass@]host[:port] "
                "(or smtp+starttls://, smtps://)"
            )
        try:
            port = parts.port or DEFAULT_PORTS[parts.scheme]
        except ValueError:
            raise ConfigError(
                "NEWSLETTER_SMTP_URL: the port must be a number from 1 to 65535"
            ) from None
        username = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password else None
        return cls(parts.scheme, parts.hostname, port, username, password)

    def __str__(self) -> str:  # never the password
        user = f"{self.username}@" if self.username else ""
        return f"{self.scheme}://{user}{self.host}:{self.port}"


class SmtpTransport:
    """One persistent connection, opened on first use; a dropped connection is reopened
    once per message.

    With PIPELINING, the MAIL, RCPT and DATA of the following message go out in the same
    write as this message's body (RFC 2920), so a message costs one round trip. A server
    that answers them 354 waits for a body: if the caller sends no such message after
    all (it stopped), :meth:`close` drops the connection, which makes the server discard
    the transaction (RFC 5321 §4.1.1.4), rather than end it with an empty message."""

    def __init__(self, url: SmtpUrl, timeout: float = TIMEOUT) -> None:
        self.url = url
        self.timeout = timeout
        self._connection: smtplib.SMTP | None = None
        self._started: Route | None = None  # written ahead, its replies not read yet

    def send(self, envelope: Envelope, following: Route | None = None) -> Reply:
        if self._started not in (None, Route(envelope.sender, envelope.recipient)):
            self._discard()  # not the message announced: that transaction must not go on
        for attempt in (1, 2):
            connection = self._connect()
            try:
                return self._transaction(connection, envelope, following)
            except (smtplib.SMTPException, OSError) as exc:
                # Dropped, reset or timed out before the final reply: the server took no
                # responsibility for the message (RFC 5321 §6.1), so sending again is right.
                self._discard()
                if attempt == 2:
                    raise TransientFailure(
                        f"the connection to {self.url} dropped twice: {_describe(exc)}",
                        before_data=False,
                    ) from None
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._connection is not None and self._started is None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self._connection.quit()
        self._discard()

    def _transaction(
        self, connection: smtplib.SMTP, envelope: Envelope, following: Route | None
    ) -> Reply:
        if connection.has_extn("pipelining"):
            return self._pipelined(connection, envelope, following)
        self._started = None  # (only ever set on a pipelining connection)
        code, text = connection.mail(envelope.sender)
        if code != 250:
            return self._refused(connection, code, text, "mail")
        code, text = connection.rcpt(envelope.recipient)
        if code not in (250, 251):
            return self._refused(connection, code, text, "rcpt")
        try:
            code, text = connection.data(envelope.message)
        except smtplib.SMTPDataError as exc:
            return self._refused(connection, exc.smtp_code, exc.smtp_error, "data")
        if code == 421:
            self._discard()
        return Reply(code, _text(text), "data")

    def _pipelined(
        self, connection: smtplib.SMTP, envelope: Envelope, following: Route | None
    ) -> Reply:
        """RFC 2920: MAIL, RCPT and DATA in one write and their replies read in order, and
        those of the following message written with this one's body, so a message costs
        one round trip instead of four (over a real network, a quarter of the time)."""
        if self._started is None:
            connection.send(_commands(Route(envelope.sender, envelope.recipient)))
        self._started = None
        mail, rcpt, data = connection.getreply(), connection.getreply(), connection.getreply()
        refused: tuple[int, bytes, Stage] | None = None
        if mail[0] != 250:
            refused = (mail[0], mail[1], "mail")
        elif rcpt[0] not in (250, 251):
            refused = (rcpt[0], rcpt[1], "rcpt")
        if data[0] != 354:
            return self._refused(connection, *(refused or (data[0], data[1], "data")))
        if refused is not None:
            # DATA let through without a recipient (a server that should have said 503):
            # end the empty message at once, then report the real refusal.
            connection.send(b".\r\n")
            connection.getreply()
            return self._refused(connection, *refused)
        payload = _dot_stuffed(envelope.message)
        if following is not None:
            payload += _commands(following).encode("ascii")
        connection.send(payload)
        self._started = following
        code, text = connection.getreply()
        if code == 421:
            self._discard()
        return Reply(code, _text(text), "data")

    def _refused(
        self, connection: smtplib.SMTP, code: int, text: bytes | str, stage: Stage
    ) -> Reply:
        """End the failed transaction so the connection can carry the next message."""
        if code == 421:  # the server is closing the connection
            self._discard()
        else:
            try:
                connection.rset()
            except (smtplib.SMTPException, OSError):
                self._discard()
        return Reply(code, _text(text), stage)

    def _connect(self) -> smtplib.SMTP:
        if self._connection is not None:
            return self._connection
        # Loading the system's certificates costs tens of milliseconds: only for TLS.
        context = ssl.create_default_context() if self.url.scheme != "smtp" else None
        try:
            self._connection = self._open(context)
        except (smtplib.SMTPAuthenticationError, smtplib.SMTPNotSupportedError) as exc:
            raise FatalFailure(f"{self.url} refused us: {_describe(exc)}") from None
        except ssl.SSLCertVerificationError as exc:
            raise FatalFailure(f"{self.url} has a certificate we cannot trust: {exc}") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise TransientFailure(
                f"cannot connect to {self.url}: {_describe(exc)}", before_data=True
            ) from None
        return self._connection

    def _open(self, context: ssl.SSLContext | None) -> smtplib.SMTP:
        url, name = self.url, _local_hostname()
        if url.scheme == "smtps":
            connection: smtplib.SMTP = smtplib.SMTP_SSL(
                url.host, url.port, local_hostname=name, timeout=self.timeout, context=context
            )
        else:
            connection = smtplib.SMTP(url.host, url.port, local_hostname=name, timeout=self.timeout)
        try:
            connection.ehlo_or_helo_if_needed()
            if url.scheme == "smtp+starttls":
                connection.starttls(context=context)
                connection.ehlo()
            if url.username:
                connection.login(url.username, url.password or "")
        except BaseException:
            connection.close()
            raise
        return connection

    def _discard(self) -> None:
        self._started = None  # a transaction started ahead dies with its connection
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class OutboxTransport:
    """One ``.eml`` file per message, named after its Message-ID, written atomically: a
    second attempt at the same message replaces the file instead of adding one."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, envelope: Envelope, following: Route | None = None) -> Reply:
        name = re.sub(r"[^A-Za-z0-9._@+-]", "_", envelope.message_id.strip("<>"))[:180]
        path = self.folder / f"{name}.eml"
        temporary = self.folder / f".{name}.{os.getpid()}.tmp"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            # 0600 whatever the umask: the message holds an address and a live unsubscribe link.
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.fchmod(fd, 0o600)
            with open(fd, "wb") as file:
                # What the receiving server would add: the envelope sender (VERP).
                file.write(b"Return-Path: <" + envelope.sender.encode("ascii") + b">\r\n")
                file.write(envelope.message)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except OSError as exc:
            temporary.unlink(missing_ok=True)
            raise TransientFailure(f"cannot write {path}: {exc}", before_data=True) from None
        return Reply(250, f"written to {path}", "outbox")

    def close(self) -> None:
        pass


NO_TRANSPORT = (
    "no mail server: set NEWSLETTER_SMTP_URL "
    "(e.g. smtp+starttls://user:password@smtp.example.com:587), "
    "or NEWSLETTER_OUTBOX=DIR to write the emails to a folder instead of sending them"
)


def require_transport(smtp_url: str | None, outbox: Path | None) -> None:
    """Mail goes to a server, or to a folder only when one is named: a cron job that forgot
    NEWSLETTER_SMTP_URL must fail loudly, not count .eml files as sent."""
    if not smtp_url and outbox is None:
        raise ConfigError(NO_TRANSPORT)


def transport_factory(smtp_url: str | None, outbox: Path | None) -> Callable[[], Transport]:
    """A new transport per worker: SMTP when ``smtp_url`` (NEWSLETTER_SMTP_URL) is set, else
    the ``outbox`` folder (NEWSLETTER_OUTBOX)."""
    if smtp_url:
        url = SmtpUrl.parse(smtp_url)
        return lambda: SmtpTransport(url)
    if outbox is None:
        raise ConfigError(NO_TRANSPORT)
    return lambda: OutboxTransport(outbox)


def describe_transport(smtp_url: str | None, outbox: Path | None) -> str:
    if smtp_url:
        return str(SmtpUrl.parse(smtp_url))
    return f"the outbox {outbox}" if outbox else "no mail server"


@functools.cache
def _local_hostname() -> str:
    """What we say in EHLO, looked up once per process (a slow resolver costs once)."""
    return socket.getfqdn()


def _commands(route: Route) -> str:
    """Addresses are normalized ASCII, safe to write as they are."""
    return f"MAIL FROM:<{route.sender}>\r\nRCPT TO:<{route.recipient}>\r\nDATA\r\n"


def _dot_stuffed(message: bytes) -> bytes:
    """The DATA payload: lines starting with a dot get another, then the final dot line
    (what smtplib's data() does)."""
    stuffed = message.startswith(b".") or b"\n." in message  # a plain search is much faster
    body = re.sub(rb"(?m)^\.", b"..", message) if stuffed else message
    return body + (b"" if body.endswith(b"\r\n") else b"\r\n") + b".\r\n"


def _text(text: bytes | str) -> str:
    value = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return " ".join(value.split())


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_text(exc.smtp_error)}"
    return str(exc) or exc.__class__.__name__
