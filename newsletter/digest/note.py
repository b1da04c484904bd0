"""The editor's note: a few words from the owner at the top of the next digest.

The owner writes Markdown (CommonMark, read by markdown-it-py with raw HTML off, so a
``<b>`` typed in a note shows as text). It becomes HTML through the project's one allowlist
(``html_policy``), like every feed's article, so a note can carry nothing an article could
not; and plain text for the email's text part, with the links written out and the lists
kept as lists. The rendering functions are pure; ``save_note`` is the one write.

The note waits in the store until the next digest is built, which takes it (``digests.note``);
the digest's email, its preview and its archive page all render it from that one Markdown.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup

from newsletter.errors import BadInput
from newsletter.html_policy import URL_SCHEMES, nh3_options
from newsletter.html_text import clean_text, has_visible
from newsletter.store import SqlStore
from newsletter.store.notes import NoteRecord

NOTE_MAX = 5000  # characters of Markdown: a note, not an article
TEXT_WIDTH = 70  # the text part's line length, as the digest's own
# A note comes right after the page's h1 (and the email's masthead): its headings are h2,
# whatever level was typed.
HEADING = "h2"


class InvalidNote(BadInput):
    """A note that cannot be kept as written."""


def check_note(raw: str) -> str:
    """The note to keep: cleaned of control characters, line endings made ``\\n``;
    InvalidNote when it is empty or too long."""
    text = clean_text(raw.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if not has_visible(text):
        raise InvalidNote("the note is empty")
    if len(text) > NOTE_MAX:
        raise InvalidNote(f"the note has {len(text)} characters; at most {NOTE_MAX} fit")
    return text


def save_note(store: SqlStore, raw: str, by: str, now: datetime) -> NoteRecord:
    """Check and keep the note for the next digest (InvalidNote names the problem)."""
    return store.set_editor_note(check_note(raw), by, now)


def note_html(markdown: str) -> str:
    """The note as HTML, kept to the allowlist."""
    tokens = _parser().parse(markdown)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = HEADING
    rendered = _parser().renderer.render(tokens, _parser().options, {})
    return _cleaner().clean(rendered).strip()


def note_markup(markdown: str | None) -> Markup | None:
    """The note as markup a template shows as it is, or None without a note."""
    if not markdown:
        return None
    # Safe as markup: note_html keeps only what the one allowlist (html_policy) allows,
    # the same cleaning every feed's article goes through.
    return Markup(note_html(markdown))  # nosec B704


def note_text(markdown: str, width: int = TEXT_WIDTH) -> str:
    """The note as plain text, wrapped at ``width``: paragraphs apart, list items under
    their marker, quotes behind ``>``, and each link's address after its words."""
    blocks: list[tuple[str, int]] = []  # (text, which outermost list it is in; 0: none)
    lists: list[list[int]] = []  # per open list: [ordered (0/1), next number]
    outermost = quotes = 0
    marker = ""
    for token in _parser().parse(markdown):
        kind = token.type
        if kind in ("bullet_list_open", "ordered_list_open"):
            outermost += 0 if lists else 1
            start = token.attrGet("start")
            lists.append([kind == "ordered_list_open", int(start) if start else 1])
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif kind == "list_item_open":
            ordered, number = lists[-1]
            marker = f"{number}. " if ordered else "- "
            lists[-1][1] = number + 1
        elif kind in ("blockquote_open", "blockquote_close"):
            quotes += 1 if kind == "blockquote_open" else -1
        elif kind in ("inline", "fence", "code_block", "hr"):
            text = _block_text(token)
            indent = "  " * max(len(lists) - 1, 0) + "> " * quotes
            blocks.append((_wrapped(text, indent, marker, width, kind), outermost * bool(lists)))
            marker = ""
    return _joined(blocks)


def _block_text(token: Token) -> str:
    if token.type == "inline":
        return _inline_text(token.children or [])
    if token.type == "hr":
        return "* * *"
    return token.content.rstrip("\n")  # code: as typed


def _inline_text(children: Sequence[Token]) -> str:
    parts: list[str] = []
    links: list[tuple[str | None, int]] = []  # (address, where its words start)
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type == "softbreak":
            parts.append(" ")
        elif child.type == "hardbreak":
            parts.append("\n")
        elif child.type == "image":
            parts.append(child.content)  # its description
        elif child.type == "link_open":
            links.append((_shown_url(child.attrGet("href")), len(parts)))
        elif child.type == "link_close" and links:
            url, start = links.pop()
            words = "".join(parts[start:])
            if url and url not in (words, f"mailto:{words}"):
                parts.append(f" ({url})")
    return "".join(parts)


def _shown_url(href: str | int | float | None) -> str | None:
    """A link's address as the text part may show it: only what the HTML part keeps (an
    absolute http, https or mailto URL)."""
    if not isinstance(href, str):
        return None
    parts = urlsplit(href)
    if parts.scheme.lower() not in URL_SCHEMES or not (parts.netloc or parts.path):
        return None
    return href


def _wrapped(text: str, indent: str, marker: str, width: int, kind: str) -> str:
    lines = text.split("\n")
    if kind in ("fence", "code_block"):
        return "\n".join(indent + "    " + line for line in lines)
    out: list[str] = []
    for number, line in enumerate(lines):
        first = indent + (marker if number == 0 else " " * len(marker))
        rest = indent + " " * len(marker)
        out += textwrap.wrap(
            line, width, initial_indent=first, subsequent_indent=rest, break_long_words=False,
            break_on_hyphens=False,
        ) or [first.rstrip()]  # fmt: skip
    return "\n".join(out)


def _joined(blocks: list[tuple[str, int]]) -> str:
    """Blocks a blank line apart, but the items of one list on consecutive lines."""
    out = ""
    for index, (text, in_list) in enumerate(blocks):
        if index:
            out += "\n" if in_list and blocks[index - 1][1] == in_list else "\n\n"
        out += text
    return out


@cache
def _parser() -> MarkdownIt:
    # CommonMark with raw HTML off: a tag typed in a note is text, never markup.
    return MarkdownIt("commonmark", {"html": False})


@cache
def _cleaner() -> nh3.Cleaner:
    # Relative links are dropped: a note is read in an inbox, where they lead nowhere.
    return nh3.Cleaner(**nh3_options("deny"))
