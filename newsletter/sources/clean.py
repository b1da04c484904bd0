"""Make feed text safe to store, publish as XML and show in a web page or an email.

The allowlist itself is ``newsletter/html_policy.py``, shared with publishing; titles and
names become plain text with ``newsletter/html_text.py``.

Every string leaving ``sources/`` goes through here: XML 1.0 cannot carry some characters
(feedgen refuses ``\\x00``, ``\\x0b`` and lone surrogates, which would break the whole published
feed), and feed HTML is written by strangers.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin, urlsplit

import nh3

from newsletter.html_policy import nh3_options
from newsletter.html_text import xml_safe

_CHAR_REF = re.compile(r"&#(?:[xX]([0-9a-fA-F]{1,8})|([0-9]{1,10}));")


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


def safe_html(fragment: str, base: str | None) -> str:
    """Sanitized HTML; relative URLs resolved against ``base``, or removed when there is none."""
    relative = ("rewrite_with_base", base) if base else "deny"
    try:
        return xml_safe(nh3.clean(xml_safe(fragment), **nh3_options(relative)))
    except ValueError:  # a base nh3 refuses (http://xn--a.invalid/): as if there were none
        return xml_safe(nh3.clean(xml_safe(fragment), **nh3_options("deny")))


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
