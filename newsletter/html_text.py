"""Text out of HTML, and the characters text must not carry: the one home of both.

Beside ``html_policy.py`` (what HTML may keep). HTML becomes text in three ways, because
their readers differ on purpose:

- ``plain_text(html)``: one line, as nh3 reads the markup (tags, script and style gone,
  entities decoded, XML-safe). Titles, names and summaries from feeds, at ingest and again
  at publish, so both agree on what a title says.
- ``plain_text(html, blocks_as_spaces=True)``: one line in which the end of a paragraph,
  list item or cell ends a word ("<p>a</p><p>b</p>" reads "a b", not "ab"): the digest's
  teasers, cut from whole articles.
- ``html_to_paragraphs(html)``: paragraph and line breaks kept, cleaned for a terminal (a
  moderator reading a question).

And three sets of characters are removed: what XML 1.0 cannot carry (``xml_safe``), what a
header or a CSV cell must not break on (``controls_to_spaces``), and what could drive a
terminal or make text read differently from what it is (``clean_text``).
"""

from __future__ import annotations

import html
import re
import unicodedata
from html.parser import HTMLParser

import nh3

_C0 = "\x00-\x08\x0b-\x1f"  # C0 controls but tab and newline
_C1 = "\x7f-\x9f"  # DEL and the C1 controls
_SEPARATORS = "\u2028\u2029"  # line and paragraph separators: line breaks to some readers
_BIDI = "\u202a-\u202e\u2066-\u2069"  # bidirectional embeddings, overrides and isolates

# C0 controls except tab, LF and CR; lone surrogates; the non-characters U+FFFE and U+FFFF.
# lxml (so feedgen) raises on them, and a single one would break the whole published feed.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Every control, tab and newline included: for text that must stay on one line.
CONTROLS = re.compile(f"[\t\n{_C0}{_C1}{_SEPARATORS}]")
# What a stranger's text may not keep (tab and newline are handled by the caller).
UNSAFE = re.compile(f"[{_C0}{_C1}{_BIDI}{_SEPARATORS}]")

_BLANK_LINES = re.compile(r"\n{3,}")
_TAG = re.compile(r"<[^>]*>")
_LINE_BREAK = re.compile(r"<br\s*/?>|<li\b[^>]*>", re.I)
_BLOCK_END = re.compile(r"</(?:p|h[1-6]|blockquote|ul|ol|pre)\s*>", re.I)
# Built once: configuring the sanitizer costs as much as cleaning a paragraph.
_NO_TAGS = nh3.Cleaner(tags=set())

BLOCKS = frozenset(
    {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "hr"}
    | {"blockquote", "pre", "table", "tr", "td", "th", "figure", "figcaption"}
)
SKIPPED = frozenset(("script", "style", "template"))


def xml_safe(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot carry."""
    return NOT_XML.sub("", text)


def controls_to_spaces(text: str) -> str:
    """Every control character (tab and newline too) as a space."""
    return CONTROLS.sub(" ", text)


def clean_text(raw: str) -> str:
    """Unicode NFC, without control characters (tab and newline kept) or bidi overrides."""
    return UNSAFE.sub("", unicodedata.normalize("NFC", raw))


def one_line(text: str) -> str:
    """``text`` as one line, single spaces (a feed may carry newlines in a title)."""
    return " ".join(text.split())


def clean_line(raw: str) -> str:
    """A stranger's title or name: :func:`clean_text`, on one line."""
    return one_line(clean_text(raw))


def has_visible(text: str) -> bool:
    """Whether ``text`` shows anything: not only spaces, format characters (zero-width
    spaces and joiners, U+200B to U+200F, U+FEFF ...), combining marks or controls."""
    return any(unicodedata.category(c)[0] not in "ZCM" for c in text)


def paragraphs(raw: str) -> str:
    """A stranger's body, :func:`clean_text`: its line breaks kept, runs of blank lines
    made one, trailing spaces gone."""
    text = clean_text(raw.replace("\r\n", "\n").replace("\r", "\n")).replace("\t", " ")
    lines = [line.rstrip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip("\n ")


def plain_text(value: str | None, *, is_html: bool = True, blocks_as_spaces: bool = False) -> str:
    """One line of plain, unescaped text: markup removed (unless ``is_html`` is false),
    whitespace collapsed. ``blocks_as_spaces``: block elements separate words, and the
    text is taken as stored (the digest's teasers)."""
    if not value:
        return ""
    if blocks_as_spaces:
        return one_line(_BlockText.text_of(value))
    if is_html and ("<" in value or "&" in value or "\ufeff" in value):
        # nh3 with no tags allowed drops markup (and script/style with their content)
        # and returns escaped text; unescape it back to text. Text without these three
        # comes out of nh3 as it went in (a leading byte-order mark does not), so the
        # common case skips the parser.
        value = html.unescape(_NO_TAGS.clean(xml_safe(value)))
    return one_line(xml_safe(value))


def html_to_paragraphs(fragment: str) -> str:
    """Stored HTML (ours, or a feed's) as plain text for a terminal: tags gone, entities
    decoded, paragraphs and line breaks kept, and cleaned as :func:`paragraphs` cleans,
    since a feed's HTML never went through it."""
    text = _TAG.sub("", _LINE_BREAK.sub("\n", _BLOCK_END.sub("\n\n", fragment)))
    return paragraphs(html.unescape(text))


def excerpt(fragment: str, limit: int) -> str:
    """At most ``limit`` characters of text, cut at a word boundary with an ellipsis."""
    text = plain_text(fragment, blocks_as_spaces=True)
    if len(text) <= limit:
        return text
    cut = text[: limit + 1].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip(" ,;:.-\u2013\u2014") + "\u2026"  # no dangling dash, then an ellipsis


class _BlockText(HTMLParser):
    """The text of a fragment, a space where a block starts or ends."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    @classmethod
    def text_of(cls, fragment: str) -> str:
        parser = cls()
        parser.feed(fragment)
        parser.close()
        return "".join(parser.parts)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED:
            self._skipping += 1
        elif tag in BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED:
            self._skipping = max(0, self._skipping - 1)
        elif tag in BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)
