"""Short plain-text teasers from an entry's stored HTML.

A digest shows a few lines per item, not the whole article: text reads the same in every
mail client and in the plain-text part, and no entry's markup can break the layout.
"""

from __future__ import annotations

from html.parser import HTMLParser

EXCERPT_CHARS = 260
BLOCKS = frozenset(
    {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "hr"}
    | {"blockquote", "pre", "table", "tr", "td", "th", "figure", "figcaption"}
)
SKIPPED = frozenset(("script", "style", "template"))


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

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


def html_to_text(html: str) -> str:
    """The readable text of an HTML fragment, whitespace collapsed."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    return " ".join("".join(parser.parts).split())


def excerpt(html: str, limit: int = EXCERPT_CHARS) -> str:
    """At most ``limit`` characters of text, cut at a word boundary with an ellipsis."""
    text = html_to_text(html)
    if len(text) <= limit:
        return text
    cut = text[: limit + 1].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip(" ,;:.-\u2013\u2014") + "\u2026"  # no dangling dash, then an ellipsis


def one_line(text: str) -> str:
    """A title as one line of text (a feed may carry newlines in it)."""
    return " ".join(text.split())
