"""Header values from feed, config or user text, made safe before they reach a header.

The standard library lets both tricks through: a value ending in "\\n" (or holding one)
folds into a header of the attacker's choosing, and an RFC 2047 encoded word such as
``=?UTF-8?Q?=0A?=Bcc: victim@example.com`` decodes to a line break in whatever reads it
later. :func:`clean_header_text` is the one gate: it decodes encoded words first (so a
hidden line break shows itself), turns every control or line-separating character into a
space, and defuses any ``=?`` left, so the result is one line of plain text. Encoding it
again for the wire (:func:`header_line`) is then the email package's ordinary job.
"""

from __future__ import annotations

import re
from email.header import Header, decode_header, make_header
from email.utils import formataddr

from newsletter.html_text import controls_to_spaces

_SPACES = re.compile(r"\s+")
LINE = 78  # RFC 5322's recommended line length; folded headers stay under it


def clean_header_text(value: str | None, limit: int = 200) -> str:
    """One line of plain text, at most ``limit`` characters, safe for any header."""
    if not value:
        return ""
    text = _decoded(value)
    text = controls_to_spaces(text)
    text = _SPACES.sub(" ", text).strip()
    text = text.replace("=?", "= ?")  # never the start of an encoded word
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def header_line(name: str, value: str) -> bytes:
    """``Name: value`` folded under 78 columns, RFC 2047-encoded when not ASCII, ending in
    CRLF. ``value`` must have been cleaned (or be an address list we formatted)."""
    charset = "us-ascii" if value.isascii() else "utf-8"
    encoded = Header(value, charset, header_name=name, maxlinelen=LINE).encode(linesep="\r\n")
    return f"{name}: {encoded}\r\n".encode("ascii")


def mailbox(name: str | None, address: str) -> str:
    """``Name <address>`` with the name cleaned, quoted or encoded as needed; the bare
    address when there is no name. ``address`` must be a normalized (ASCII) address."""
    display = clean_header_text(name, limit=100)
    if not display:
        return address
    return formataddr((display, address), charset="utf-8").replace("\n", "\r\n")


def _decoded(value: str) -> str:
    """Any encoded words decoded once; text that is not a valid encoded word stays as is."""
    if "=?" not in value:
        return value
    try:
        return str(make_header(decode_header(value)))
    except (ValueError, LookupError, UnicodeError):
        return value
