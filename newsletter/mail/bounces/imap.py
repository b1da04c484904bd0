"""The bounce mailbox over IMAP (imaplib): the only IMAP client of newsletter.

Messages are fetched with BODY.PEEK[] (so reading marks nothing) one at a time, oldest
first. A message's ``ack``, called after the store committed its effect, sets \\Seen and
moves it to the processed folder (MOVE, RFC 6851; else COPY, \\Deleted and EXPUNGE). A run
killed between the commit and the move leaves the message in the mailbox; the next run
finds its key recorded, does nothing again, and moves it.
"""

from __future__ import annotations

import contextlib
import functools
import imaplib
import re
import ssl
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from newsletter.errors import ConfigError, NewsletterError
from newsletter.mail.bounces.mailbox import MailboxMessage

DEFAULT_PORTS = {"imaps": 993, "imap+starttls": 143, "imap": 143}
PROCESSED = "Processed"
TIMEOUT = 60.0


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
            message = "NEWSLETTER_BOUNCE_IMAP_URL has a port that is not a number"
            raise ConfigError(message) from None
        box = unquote(parts.path.strip("/")) or "INBOX"
        return cls(
            parts.scheme,
            parts.hostname,
            port,
            unquote(parts.username),
            unquote(parts.password or ""),
            box,
        )

    def __str__(self) -> str:  # never the password
        return f"{self.scheme}://{self.username}@{self.host}:{self.port}/{self.mailbox}"


class ImapMailbox:
    """One connection to the bounce mailbox, for one `bounces fetch`."""

    def __init__(self, url: ImapUrl, processed: str = PROCESSED) -> None:
        self.url, self.processed = url, processed
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
        found = data[0] if data and isinstance(data[0], bytes) else b""
        for uid in found.decode("ascii").split():
            with self._translated():
                message = self._fetch(uid)
            where = f"{self.url.mailbox} UID {uid}"
            yield MailboxMessage(message, where, functools.partial(self._acknowledge, uid))

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
            self._imap = None

    def _fetch(self, uid: str) -> bytes:
        status, data = self._connection().uid("FETCH", uid, "(BODY.PEEK[])")
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
        if url.scheme == "imaps":
            context = ssl.create_default_context()
            return imaplib.IMAP4_SSL(url.host, url.port, ssl_context=context, timeout=TIMEOUT)
        imap = imaplib.IMAP4(url.host, url.port, timeout=TIMEOUT)
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
