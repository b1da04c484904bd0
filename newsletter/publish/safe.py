"""Make stored text safe to publish, whatever reached the database.

Ingest already sanitizes (``sources/clean.py``); publishing does it again because a row can
reach the store another way (a script, a future importer, a bug) and a published feed is
read by thousands of clients. The HTML allowlist matches the one used at ingest, so cleaning
already-clean HTML again leaves it as it was.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import nh3

from newsletter.html_policy import nh3_options
from newsletter.html_text import xml_safe

# Built once: configuring the sanitizer costs as much as cleaning a paragraph.
_HTML = nh3.Cleaner(**nh3_options("deny"))
# Characters a URL in an attribute or an id must not carry (RFC 3987 excludes them).
_NOT_IN_URL = re.compile(r"[\s<>\"{}|\\^`]")


def safe_html(fragment: str) -> str:
    """Sanitized HTML: nothing that runs, loads a frame or submits; relative URLs dropped."""
    if not fragment:
        return ""
    return xml_safe(_HTML.clean(xml_safe(fragment))).strip()


def safe_url(url: str | None) -> str | None:
    """``url`` if it is an absolute http(s) URL that is safe to publish, else None."""
    if not url:
        return None
    url = xml_safe(url).strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return None if _NOT_IN_URL.search(url) else url


def is_safe_id(value: str) -> bool:
    """True when ``value`` can serve as an Atom id / RSS guid as it is."""
    return bool(value) and not _NOT_IN_URL.search(value) and xml_safe(value) == value
