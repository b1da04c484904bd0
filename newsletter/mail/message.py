"""Digest emails as bytes: the MIME structure built once per digest, then personalized per
subscriber by joining precomputed byte pieces (building an EmailMessage per subscriber costs
7 ms; this costs tens of microseconds).

The bodies are quoted-printable, UTF-8, text/plain first then text/html. Each place where
the unsubscribe URL goes is cut out of the encoded body between two soft line breaks, so
the URL, itself encoded, drops in without touching its neighbours and decodes to exactly
``text_before + url + text_after``. Headers come from :mod:`newsletter.mail.headers` only.

Gmail clips a message past 102 KB of source, hiding what follows (the unsubscribe link
among it), so :func:`sent_size` measures a digest as sent: encoded, with every header, the
personal parts at their longest and room for what is added on the way (DKIM, Received).
"""

from __future__ import annotations

import binascii
import html
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parseaddr

from newsletter.errors import NewsletterError
from newsletter.mail.headers import clean_header_text, header_line, mailbox
from newsletter.subscribers.address import InvalidAddress, normalize_address

PLACEHOLDER = "%%UNSUBSCRIBE_URL%%"
PREFERENCES_PLACEHOLDER = "%%PREFERENCES_URL%%"  # each subscriber's preferences page
# The site's links in a stored digest (archive, feeds) are filled in when it is sent or
# shown, from NEWSLETTER_BASE_URL as it is then: a digest built before the base URL was
# set does not carry http://127.0.0.1:8000/ to its readers.
SITE_PLACEHOLDER = "%%SITE_URL%%/"
CLIP_BYTES = 102 * 1024  # Gmail clips a message whose source passes this
# What a message gains after we build it: a DKIM-Signature (~600 bytes with a 2048-bit
# key) and the Received, Return-Path and Authentication-Results lines of a few hops.
ADDED_ON_THE_WAY = 3_000
# The longest personal parts: a To of a 100-character name (encoded) and a 254-character
# address, and the longest Message-ID we make.
LONGEST_TO = mailbox("\u00e9" * 100, "a" * 64 + "@" + "b" * 185 + ".com")
LONGEST_MESSAGE_ID = "<digest-0000-W00." + "0" * 32 + "@" + "b" * 185 + ".com>"
# Slots filled per subscriber.
TO, MESSAGE_ID, UNSUBSCRIBE, URL_TEXT, URL_HTML, PREFS_TEXT, PREFS_HTML = range(7)
_TEXT_SLOTS = {PLACEHOLDER: URL_TEXT, PREFERENCES_PLACEHOLDER: PREFS_TEXT}
_HTML_SLOTS = {PLACEHOLDER: URL_HTML, PREFERENCES_PLACEHOLDER: PREFS_HTML}
_PLACEHOLDERS = re.compile(f"({re.escape(PLACEHOLDER)}|{re.escape(PREFERENCES_PLACEHOLDER)})")
Piece = bytes | int


def with_site_url(document: str, base_url: str) -> str:
    """``document`` with its site links on ``base_url`` (which ends with a slash)."""
    return document.replace(SITE_PLACEHOLDER, base_url)


class MessageError(NewsletterError):
    """A message cannot be built from this configuration."""


@dataclass(frozen=True)
class Sender:
    """The From: of every email, and the domain of Message-IDs and the List-Id."""

    header: str  # Name <address>, cleaned and encoded
    address: str  # the envelope sender
    domain: str

    @classmethod
    def parse(cls, sender: str) -> Sender:
        name, raw = parseaddr(sender)
        try:
            address = normalize_address(raw)
        except InvalidAddress as exc:
            raise MessageError(f"newsletter.from in feeds.yaml: {exc}") from None
        return cls(mailbox(name, address.email), address.email, address.domain)


class DigestMessage:
    """One digest's message; :meth:`render` gives one subscriber's bytes."""

    def __init__(
        self,
        sender: Sender,
        list_name: str,
        subject: str,
        text: str,
        html_body: str,
        date: datetime,
    ) -> None:
        boundary = f"=_nl_{secrets.token_hex(12)}"  # "=_" never occurs in QP output
        headers: list[Piece] = [
            header_line("From", sender.header),
            TO,
            header_line("Subject", clean_header_text(subject, limit=300)),
            _date(date),
            MESSAGE_ID,
            b"MIME-Version: 1.0\r\n",
            header_line("List-Id", mailbox(list_name, f"list.{sender.domain}")),
            UNSUBSCRIBE,
            b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n",
        ]
        # A reader who chose plain text gets one text/plain part (html_body "").
        body = _multipart(boundary, text, html_body) if html_body else _text_only(text)
        self.pieces = _merge(headers + body)

    def render(
        self,
        to: str,
        message_id: str,
        unsubscribe_url: str,
        unsubscribe_mailto: str | None = None,
        preferences_url: str | None = None,
    ) -> bytes:
        """``to``: a mailbox from :func:`newsletter.mail.headers.mailbox`; ``message_id``
        with its angle brackets; ``unsubscribe_url``: ASCII, no spaces; ``unsubscribe_mailto``
        (``mailto:…``), when given, is List-Unsubscribe's second way, for clients that
        unsubscribe by email; ``preferences_url`` (ASCII), where the body links to the
        reader's preferences page (default: the unsubscribe page)."""
        preferences = preferences_url or unsubscribe_url
        slots = {
            TO: _to_line(to),
            MESSAGE_ID: b"Message-ID: " + message_id.encode("ascii") + b"\r\n",
            UNSUBSCRIBE: _unsubscribe_line(unsubscribe_url, unsubscribe_mailto),
            URL_TEXT: _open_end(_qp(unsubscribe_url)),
            URL_HTML: _open_end(_qp(html.escape(unsubscribe_url))),
            PREFS_TEXT: _open_end(_qp(preferences)),
            PREFS_HTML: _open_end(_qp(html.escape(preferences))),
        }
        return b"".join(slots[p] if isinstance(p, int) else p for p in self.pieces)


def sent_size(
    message: DigestMessage,
    longest_url: str,
    longest_mailto: str | None = None,
    longest_preferences: str | None = None,
) -> int:
    """The bytes of the biggest message this digest can become on arrival: every
    subscriber's parts at their longest, plus what relays and signing add."""
    data = message.render(
        LONGEST_TO, LONGEST_MESSAGE_ID, longest_url, longest_mailto, longest_preferences
    )
    return len(data) + ADDED_ON_THE_WAY


def simple_message(
    sender: Sender, to: str, subject: str, text: str, html_body: str, date: datetime
) -> tuple[bytes, str]:
    """A one-off message (the confirmation email): its bytes and its Message-ID."""
    message_id = f"<{secrets.token_hex(16)}@{sender.domain}>"
    headers: list[Piece] = [
        header_line("From", sender.header),
        _to_line(to),
        header_line("Subject", clean_header_text(subject, limit=300)),
        _date(date),
        f"Message-ID: {message_id}\r\n".encode("ascii"),
        b"MIME-Version: 1.0\r\n",
    ]
    pieces = headers + _multipart(f"=_nl_{secrets.token_hex(12)}", text, html_body, False)
    return b"".join(p for p in pieces if isinstance(p, bytes)), message_id


def _multipart(boundary: str, text: str, html_body: str, personal: bool = True) -> list[Piece]:
    line = boundary.encode("ascii")
    return [
        b'Content-Type: multipart/alternative;\r\n boundary="' + line + b'"\r\n\r\n',
        b"--" + line + b"\r\n",
        b'Content-Type: text/plain; charset="utf-8"\r\n',
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n",
        *_body(text, _TEXT_SLOTS if personal else {}),
        b"\r\n--" + line + b"\r\n",
        b'Content-Type: text/html; charset="utf-8"\r\n',
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n",
        *_body(html_body, _HTML_SLOTS if personal else {}),
        b"\r\n--" + line + b"--\r\n",
    ]


def _text_only(text: str) -> list[Piece]:
    return [
        b'Content-Type: text/plain; charset="utf-8"\r\n',
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n",
        *_body(text, _TEXT_SLOTS),
        b"\r\n",
    ]


def _body(text: str, slots: dict[str, int]) -> list[Piece]:
    """The encoded body with a slot where each of the placeholders of ``slots`` was."""
    if not slots or not any(placeholder in text for placeholder in slots):
        return [_qp(text)]
    segments = _PLACEHOLDERS.split(text)  # text, placeholder, text, …, text
    pieces: list[Piece] = []
    for segment, placeholder in zip(segments[::2], segments[1::2], strict=False):
        pieces += [_open_end(_qp(segment)), slots[placeholder]]
    return [*pieces, _qp(segments[-1])]


def _qp(text: str) -> bytes:
    data = text.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8")
    return binascii.b2a_qp(data, istext=True).replace(b"\n", b"\r\n")


def _open_end(encoded: bytes) -> bytes:
    """End an encoded chunk with a soft line break, so the next chunk continues the same
    line; a last line too long to take the '=' is broken first, never inside an =XX."""
    head, separator, last = encoded.rpartition(b"\r\n")
    lines = []
    while len(last) > 75:
        cut = 75
        if last[cut - 1 : cut] == b"=":
            cut -= 1
        elif last[cut - 2 : cut - 1] == b"=":
            cut -= 2
        lines.append(last[:cut] + b"=\r\n")
        last = last[cut:]
    return head + separator + b"".join(lines) + last + b"=\r\n"


def _unsubscribe_line(url: str, mailto: str | None) -> bytes:
    line = b"List-Unsubscribe: <" + url.encode("ascii") + b">"
    if mailto:
        line += b",\r\n <" + mailto.encode("ascii") + b">"
    return line + b"\r\n"


def _to_line(to: str) -> bytes:
    if to.isascii() and len(to) < 70:
        return b"To: " + to.encode("ascii") + b"\r\n"
    return header_line("To", to)


def _date(date: datetime) -> bytes:
    return f"Date: {format_datetime(date.astimezone(UTC))}\r\n".encode("ascii")


def _merge(pieces: Sequence[Piece]) -> list[Piece]:
    """Adjacent byte pieces joined once, so rendering joins as few pieces as possible."""
    merged: list[Piece] = []
    for piece in pieces:
        if isinstance(piece, bytes) and merged and isinstance(merged[-1], bytes):
            merged[-1] += piece
        else:
            merged.append(piece)
    return merged
