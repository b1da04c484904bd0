"""Make feed text safe to store, publish as XML and show in a web page or an email.

Every string leaving ``sources/`` goes through here: XML 1.0 cannot carry some characters
(feedgen refuses ``\\x00``, ``\\x0b`` and lone surrogates, which would break the whole published
feed), and feed HTML is written by strangers.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin, urlsplit

import nh3

# C0 controls except tab, LF and CR; lone surrogates; the two non-characters U+FFFE and U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_CHAR_REF = re.compile(r"&#(?:[xX]([0-9a-fA-F]{1,8})|([0-9]{1,10}));")

# Safe in a web page and in the common email clients; nothing that runs, loads or submits.
_TAGS = frozenset(
    {"p", "br", "a", "em", "strong", "b", "i", "u", "ul", "ol", "li", "blockquote", "code"}
    | {"pre", "h2", "h3", "h4", "h5", "h6", "img", "figure", "figcaption", "hr", "span"}
    | {"table", "thead", "tbody", "tr", "th", "td", "sup", "sub", "abbr", "q", "cite"}
    | {"dl", "dt", "dd"}
)
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "abbr": {"title"},
}
_URL_SCHEMES = frozenset({"http", "https", "mailto"})
# Removed with their content, not just unwrapped: their text is code or fallback noise.
_DROP_WITH_CONTENT = frozenset({"script", "style", "template", "svg", "math", "iframe", "object"})


def xml_safe(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot carry."""
    return _NOT_XML.sub("", text)


def drop_invalid_char_refs(text: str) -> str:
    """Remove ``&#xD800;``-style references to characters XML cannot carry.

    feedparser 6 raises UnicodeEncodeError on them; expat refuses them and falls back to the
    slow loose parser. Removing them keeps the rest of the feed.
    """

    def keep(match: re.Match[str]) -> str:
        hex_digits, decimal = match.groups()
        code = int(hex_digits, 16) if hex_digits else int(decimal)
        return match.group(0) if _is_xml_char(code) else ""

    return _CHAR_REF.sub(keep, text)


def plain_text(value: str, *, is_html: bool) -> str:
    """One line of plain, unescaped text (titles, authors): tags gone, whitespace collapsed."""
    if is_html:
        # nh3 with no tags allowed drops the markup and returns escaped text.
        value = html.unescape(nh3.clean(xml_safe(value), tags=set()))
    return " ".join(xml_safe(value).split())


def safe_html(fragment: str, base: str | None) -> str:
    """Sanitized HTML; relative URLs resolved against ``base``, or removed when there is none."""
    cleaned = nh3.clean(
        xml_safe(fragment),
        tags=_TAGS,
        clean_content_tags=_DROP_WITH_CONTENT,
        attributes=_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
        url_relative=("rewrite_with_base", base) if base else "deny",
    )
    return xml_safe(cleaned)


def text_to_html(text: str) -> str:
    """A plain-text summary as HTML that shows the same text."""
    return html.escape(xml_safe(text), quote=False)


def absolute_url(url: str | None, base: str | None) -> str | None:
    """``url`` resolved against ``base``, if the result is an http(s) URL with a host."""
    if not url:
        return None
    url = xml_safe(url).strip()
    try:
        resolved = urljoin(base, url) if base else url
        parts = urlsplit(resolved)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    if any(c.isspace() for c in resolved):
        return None
    return resolved


def _is_xml_char(code: int) -> bool:
    return (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )
