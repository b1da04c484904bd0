"""The bounce mailbox over IMAP (imaplib): the only IMAP client of newsletter.

Messages are fetched with BODY.PEEK[] (so reading marks nothing) one at a time, oldest
first. A message's ``ack``, called after the store committed its effect, sets \\Seen and
moves it to the processed folder (MOVE, RFC 6851; else COPY, \\Deleted and EXPUNGE). A run
killed between the commit and the move leaves the message in the mailbox; the next run
finds its key recorded, does nothing again, and moves it.

The server is not trusted to be quick or small: the whole fetch has a deadline
(``?deadline=SECONDS`` in the URL, DEADLINE by default) that every read checks, so a server
dribbling a byte at a time cannot hold the run (and its lock) for ever; a message is fetched
only up to MAX_MESSAGE + 1 bytes (a partial FETCH; the caller records a longer one as
unclassified), and a literal longer than that is refused before a byte of it is read.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import imaplib
import re
import ssl
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from newsletter.errors import ConfigError, NewsletterError
from newsletter.mail.bounces.mailbox import MAX_MESSAGE, MailboxMessage

DEFAULT_PORTS = {"imaps": 993, "imap+starttls": 143, "imap": 143}
PROCESSED = "Processed"
TIMEOUT = 60.0  # one wait on the server
DEADLINE = 600.0  # the whole fetch
MAX_LITERAL = MAX_MESSAGE + 1  # the partial FETCH asks for no more
MAX_LINE = 1024 * 1024  # a SEARCH answer of ~150,000 UIDs
_CHUNK = 65536
Monotonic = Callable[[], float]


class MailboxError(NewsletterError):
    """The bounce mailbox cannot be reached or read."""


@dataclass(frozen=True)
class ImapUrl:
    scheme: str
    host: str
    port: int
    username: str
    password: str
    mailbox: str = "INBOX"
    deadline: float = DEADLINE  # seconds for the whole fetch

    @classmethod
    def parse(cls, url: str) -> ImapUrl:
        parts = urlsplit(url)
        if parts.scheme not in DEFAULT_PORTS or not parts.hostname or not parts.username:
            raise ConfigError(
                "NEWSLETTER_BOUNCE_IMAP_URL must look like imaps://user:pass@host[:port]/MAILBOX"
            )
        try:
            port = parts.port or DEFAULT_PORTS[parts.scheme]
        except ValueError:
            message = "NEWSLETTER_BOUNCE_IMAP_URL: the port must be a number from 1 to 65535"
            raise ConfigError(message) from None
        box = unquote(parts.path.strip("/")) or "INBOX"
        return cls(
            parts.scheme,
            parts.hostname,
            port,
            unquote(parts.username),
            unquote(parts.password or ""),
            box,
            _deadline(parts.query),
        )

    def __str__(self) -> str:  # never the password
        return f"{self.scheme}://{self.username}@{self.host}:{self.port}/{self.mailbox}"


def _deadline(query: str) -> float:
    values = parse_qs(query).get("deadline", [])
    if not values:
        return DEADLINE
    try:
        seconds = float(values[-1])
    except ValueError:
        seconds = 0.0
    if not 0 < seconds <= 86400:
        raise ConfigError(
            "NEWSLETTER_BOUNCE_IMAP_URL: ?deadline= must be a number of seconds, 1 to 86400"
        )
    return seconds


class ImapMailbox:
    """One connection to the bounce mailbox, for one `bounces fetch`, within the URL's
    deadline by ``clock`` (seconds; time.monotonic, or a test's)."""

    def __init__(
        self, url: ImapUrl, processed: str = PROCESSED, clock: Monotonic = time.monotonic
    ) -> None:
        self.url, self.processed, self.clock = url, processed, clock
        self._imap: imaplib.IMAP4 | None = None

    def __enter__(self) -> ImapMailbox:
        try:
            self._imap = self._connect()
            self._check(self._imap.login(self.url.username, self.url.password), "log in")
            self._check(self._imap.select(_quoted(self.url.mailbox)), "open the mailbox")
            self._imap.create(_quoted(self.processed))  # "already exists" is fine
        except imaplib.IMAP4.error as exc:
            self.close()
            raise MailboxError(f"{self.url}: {_text(exc)}") from None
        except (OSError, ssl.SSLError) as exc:
            self.close()
            raise MailboxError(f"cannot reach {self.url}: {exc}") from None
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def messages(self) -> Iterator[MailboxMessage]:
        with self._translated():
            status, data = self._connection().uid("SEARCH", "UNDELETED")
        self._check((status, data), "search the mailbox")
        for uid in self._uids(data):
            with self._translated():
                message = self._fetch(uid)
            where = f"{self.url.mailbox} UID {uid}"
            yield MailboxMessage(message, where, functools.partial(self._acknowledge, uid))

    def _uids(self, data: Sequence[object]) -> list[str]:
        found = data[0] if data and isinstance(data[0], bytes) else b""
        uids = found.split()
        if not all(uid.isdigit() and uid.isascii() for uid in uids):
            raise MailboxError(f"{self.url}: the server's SEARCH answer is not a list of UIDs")
        return [uid.decode("ascii") for uid in uids]

    def _acknowledge(self, uid: str) -> None:
        with self._translated():
            self._done(uid)

    @contextlib.contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except imaplib.IMAP4.error as exc:
            raise MailboxError(f"{self.url}: {_text(exc)}") from None
        except OSError as exc:
            raise MailboxError(f"{self.url}: the connection failed: {exc}") from None

    def close(self) -> None:
        if self._imap is not None:
            with contextlib.suppress(imaplib.IMAP4.error, OSError):
                self._imap.logout()
            # logout() closes nothing when the server's answer fails it (after an error).
            with contextlib.suppress(OSError):
                self._imap.shutdown()
            self._imap = None

    def _fetch(self, uid: str) -> bytes:
        # At most one byte past the cap: enough to know the message is over it.
        part = f"(BODY.PEEK[]<0.{MAX_MESSAGE + 1}>)"
        status, data = self._connection().uid("FETCH", uid, part)
        self._check((status, data), f"fetch message UID {uid}")
        for item in data:
            if isinstance(item, tuple):
                return bytes(item[1])
        raise MailboxError(f"{self.url}: message UID {uid} came back empty")

    def _done(self, uid: str) -> None:
        """After the commit: \\Seen, then out of the mailbox into the processed folder."""
        imap = self._connection()
        self._check(imap.uid("STORE", uid, "+FLAGS", "(\\Seen)"), "mark a message seen")
        if "MOVE" in imap.capabilities:
            self._check(imap.uid("MOVE", uid, _quoted(self.processed)), "move a message")
            return
        self._check(imap.uid("COPY", uid, _quoted(self.processed)), "copy a message")
        self._check(imap.uid("STORE", uid, "+FLAGS", "(\\Deleted)"), "delete a message")
        self._check(imap.expunge(), "expunge")

    def _connect(self) -> imaplib.IMAP4:
        url = self.url
        limits = _Limits(self.clock() + url.deadline, self.clock)
        timeout = min(TIMEOUT, url.deadline)
        if url.scheme == "imaps":
            context = ssl.create_default_context()
            return _BoundedImapSsl(limits, url.host, url.port, ssl_context=context, timeout=timeout)
        imap = _BoundedImap(limits, url.host, url.port, timeout=timeout)
        if url.scheme == "imap+starttls":
            imap.starttls(ssl.create_default_context())
        return imap

    def _connection(self) -> imaplib.IMAP4:
        if self._imap is None:
            raise MailboxError(f"{self.url}: not connected")
        return self._imap

    def _check(self, reply: tuple[str, Sequence[object]], what: str) -> None:
        status, data = reply
        if status != "OK":
            raise MailboxError(f"{self.url}: cannot {what}: {_text(data)}")


def _quoted(name: str) -> str:
    """A mailbox name as an IMAP quoted string."""
    return '"' + re.sub(r'(["\\])', r"\\\1", name) + '"'


def _text(value: object) -> str:
    if isinstance(value, list):
        value = b" ".join(v for v in value if isinstance(v, bytes))
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return " ".join(str(value).split())


@dataclass
class _Limits:
    """The fetch's deadline (by ``clock``) and what is read and not yet used."""

    deadline: float
    clock: Monotonic
    buffer: bytearray = dataclasses.field(default_factory=bytearray)


class _Bounded:
    """imaplib's ``read`` and ``readline`` over the socket itself, so that each wait on the
    server is under the fetch's deadline (imaplib's own would wait ``timeout`` per byte,
    for ever on a server dribbling), a line under MAX_LINE and a literal under MAX_LITERAL."""

    sock: Any  # imaplib's socket (an SSLSocket after STARTTLS)
    limits: _Limits

    def read(self, size: int) -> bytes:
        if size > MAX_LITERAL:
            raise imaplib.IMAP4.abort(
                f"the server sent a literal of {size} bytes (over {MAX_LITERAL}); not read"
            )
        buffer = self.limits.buffer
        while len(buffer) < size:
            self._fill()
        data = bytes(buffer[:size])
        del buffer[:size]
        return data

    def readline(self) -> bytes:
        buffer = self.limits.buffer
        while (end := buffer.find(b"\n")) < 0:
            if len(buffer) > MAX_LINE:
                raise imaplib.IMAP4.abort(f"the server sent a line over {MAX_LINE} bytes")
            self._fill()
        line = bytes(buffer[: end + 1])
        del buffer[: end + 1]
        return line

    def _fill(self) -> None:
        left = self.limits.deadline - self.limits.clock()
        if left <= 0:
            raise TimeoutError("the fetch ran past its deadline (?deadline= in the URL)")
        self.sock.settimeout(min(left, TIMEOUT))
        chunk = self.sock.recv(_CHUNK)
        if not chunk:
            raise imaplib.IMAP4.abort("the server closed the connection")
        self.limits.buffer += chunk


class _BoundedImap(_Bounded, imaplib.IMAP4):
    def __init__(self, limits: _Limits, *args: Any, **kwargs: Any) -> None:
        self.limits = limits  # before imaplib reads the greeting
        super().__init__(*args, **kwargs)


class _BoundedImapSsl(_Bounded, imaplib.IMAP4_SSL):
    def __init__(self, limits: _Limits, *args: Any, **kwargs: Any) -> None:
        self.limits = limits
        super().__init__(*args, **kwargs)
