"""A reader's text, made safe to keep, show and publish. Pure functions, no I/O.

What a stranger types reaches three places: the feeds (as HTML), the digest (as HTML and
text) and the moderator's terminal. So it is cleaned once on the way in: Unicode NFC, no
control characters (an escape sequence would drive the moderator's terminal), no
bidirectional overrides (which can make text read differently from what it is), and the
body becomes HTML by escaping, never by trusting.
"""

from __future__ import annotations

import html
import re
import unicodedata

# C0 and C1 controls (tab and newline are handled apart), DEL, and the bidi embeddings,
# overrides and isolates (U+202A to U+202E, U+2066 to U+2069), plus line/paragraph separators.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
_BLANK_LINES = re.compile(r"\n{3,}")
_TAG = re.compile(r"<[^>]*>")
_LINE_BREAK = re.compile(r"<br\s*/?>|<li\b[^>]*>", re.I)
_BLOCK_END = re.compile(r"</(?:p|h[1-6]|blockquote|ul|ol|pre)\s*>", re.I)


def one_line(raw: str) -> str:
    """A title or a name: one line, single spaces, no control characters."""
    return " ".join(_clean(raw).split())


def paragraphs(raw: str) -> str:
    """A body: its line breaks kept, runs of blank lines made one, trailing spaces gone."""
    text = _clean(raw.replace("\r\n", "\n").replace("\r", "\n")).replace("\t", " ")
    lines = [line.rstrip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip("\n ")


def to_html(text: str) -> str:
    """Plain text as HTML: a paragraph per blank-line-separated block, ``<br>`` for a line
    break, everything else escaped (so ``<script>`` arrives as text)."""
    blocks = [block for block in text.split("\n\n") if block.strip()]
    return "".join(f"<p>{html.escape(block).replace(chr(10), '<br>')}</p>" for block in blocks)


def to_text(fragment: str) -> str:
    """Stored HTML (ours, or a feed's) as plain text for a terminal: tags gone, entities
    decoded, and cleaned again, since a feed's HTML never went through :func:`paragraphs`."""
    text = _TAG.sub("", _LINE_BREAK.sub("\n", _BLOCK_END.sub("\n\n", fragment)))
    return paragraphs(html.unescape(text))


def _clean(raw: str) -> str:
    return _UNSAFE.sub("", unicodedata.normalize("NFC", raw))
