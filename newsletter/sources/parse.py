"""Bytes in, cleaned entries out. Runs in worker processes (see ``pool.py``).

Everything CPU-bound happens here so the parent only fetches: charset decoding, the entity
check, feedparser, HTML sanitizing and entry identity.
"""

from __future__ import annotations

import io
import re
import resource
import signal
import threading
import time
import xml.sax
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import feedparser

import newsletter.sources.charset as charset
from newsletter.errors import ParseError
from newsletter.html_text import plain_text, xml_safe
from newsletter.sources.clean import (
    absolute_url,
    drop_invalid_char_refs,
    safe_html,
    text_to_html,
)
from newsletter.sources.identity import entry_key
from newsletter.sources.lifeline import die_with
from newsletter.sources.types import EntryData, ParsedFeed

# Entity declarations are the door to billion laughs, quadratic blow-up and XXE; feeds that
# need them are vanishingly rare, so the whole document is refused.
_ENTITY_DECLARATION = re.compile(r"<!ENTITY", re.I)
_HTML_START = re.compile(r"<(!doctype\s+html|html[\s>])", re.I)
_MAX_MESSAGE = 200


class _TimeUp(BaseException):
    """Raised by the alarm. A BaseException, so feedparser's ``except Exception`` can't eat it."""


def init_worker(memory_mb: int, owner: int | None = None) -> None:
    """Pool initializer: die with ``owner``, the process that made the pool (see
    lifeline.py), and cap the worker's address space, so a blow-up is a MemoryError here."""
    if owner is not None:
        die_with(owner)
    limit = memory_mb * 1024 * 1024
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def parse_document(
    body: bytes,
    headers: Mapping[str, str],
    feed_url: str | None,
    feed_key: str,
    time_limit: float = 0.0,
) -> ParsedFeed:
    """Parse and clean one feed document.

    ``headers`` are the response headers (lower-cased names); ``feed_url`` is where the
    document came from, used to resolve relative links. Raises ParseError with one sentence
    for anything that is not a usable feed; never anything else.
    """
    try:
        with _time_limit(time_limit):
            return _parse(body, headers, feed_url, feed_key)
    except _TimeUp:
        raise ParseError(f"parsing took longer than {time_limit:g} s") from None
    except MemoryError:
        raise ParseError("the parser ran out of memory") from None


def run_feedparser(data: bytes, headers: Mapping[str, str]) -> Any:
    """feedparser on bytes we already checked, with every exception turned into ParseError."""
    fp_headers = {k: v for k, v in headers.items() if k not in ("content-type", "content-location")}
    # The bytes are UTF-8 now (see charset.py). Without content-location, feedparser resolves
    # nothing against the feed URL: it would otherwise turn a guid "123" into a URL.
    fp_headers["content-type"] = "application/xml; charset=utf-8"
    try:
        # A BytesIO, never bare bytes: feedparser opens bytes that name a file, such as a
        # response body of "/etc/passwd".
        return feedparser.parse(
            io.BytesIO(data),
            response_headers=fp_headers,
            sanitize_html=False,
            resolve_relative_uris=False,
        )
    except (MemoryError, _TimeUp):
        raise
    except Exception as exc:
        raise ParseError(f"the feed parser failed ({_describe(exc)})") from None


def _parse(
    body: bytes, headers: Mapping[str, str], feed_url: str | None, feed_key: str
) -> ParsedFeed:
    text = charset.decode(body, headers.get("content-type"))
    if _ENTITY_DECLARATION.search(text):
        raise ParseError("refused: the feed declares XML entities")
    if not text.strip():
        raise ParseError("not a feed: the document is empty")
    # Characters XML cannot carry make expat give up and the loose parser take over.
    text = drop_invalid_char_refs(xml_safe(text))
    result = run_feedparser(charset.to_utf8_xml(text), headers)
    _refuse_non_feeds(result, text, headers)
    return _build(result, feed_url, feed_key)


def _refuse_non_feeds(result: Any, text: str, headers: Mapping[str, str]) -> None:
    if not _get(result, "version"):
        head = text[:2048].lstrip()
        if "html" in headers.get("content-type", "").lower() or _HTML_START.search(head):
            raise ParseError("not a feed: the document is an HTML page")
        if head.startswith(("{", "[")):
            raise ParseError("not a feed: the document is JSON (JSON Feed is not supported)")
        raise ParseError("not a feed: no RSS, Atom or RDF document found")
    if _get(result, "bozo") and not _get(result, "entries"):
        raise ParseError(
            f"not a feed: ill-formed XML ({_describe(_get(result, 'bozo_exception'))})"
        )


@dataclass(frozen=True)
class _Source:
    url: str | None  # where the document came from, else its own <link>
    key: str
    # Only Atom declares a text type. For RSS, feedparser guesses "plain text" when the markup
    # holds tags it does not know, such as <script>: exactly the HTML that must be sanitized.
    declares_types: bool

    def is_html(self, detail: Any) -> bool:
        return not (self.declares_types and _get(detail, "type") == "text/plain")


def _build(result: Any, feed_url: str | None, feed_key: str) -> ParsedFeed:
    feed = _get(result, "feed", {})
    feed_link = absolute_url(_get(feed, "link"), feed_url)
    atom = (_get(result, "version") or "").startswith("atom")
    source = _Source(feed_url or feed_link, feed_key, declares_types=atom)
    entries: dict[str, EntryData] = {}
    for raw in _get(result, "entries", []):
        entry = _entry(raw, source)
        entries.setdefault(entry.key, entry)  # a repeated key: the first occurrence wins
    warning = None
    if _get(result, "bozo"):
        warning = (
            f"ill-formed XML ({_describe(_get(result, 'bozo_exception'))}); "
            f"{len(entries)} entries salvaged"
        )
    return ParsedFeed(
        title=_text(feed, "title", source),
        link=feed_link,
        entries=tuple(entries.values()),
        warning=warning,
    )


def _entry(raw: Any, source: _Source) -> EntryData:
    # With no <link>, feedparser copies an RSS guid into link; "123" must not become a URL.
    link = absolute_url(_get(raw, "link"), None if _get(raw, "guidislink") else source.url)
    title = _text(raw, "title", source)
    published = _utc(_get(raw, "published_parsed"))
    updated = _utc(_get(raw, "updated_parsed"))
    guid = xml_safe(_get(raw, "id") or "").strip() or None
    content = _get(raw, "content") or [{}]
    author_detail = _get(raw, "author_detail") or {}
    author = plain_text(_get(author_detail, "name") or _get(raw, "author") or "", is_html=True)
    base = link or source.url
    return EntryData(
        key=entry_key(source.key, guid, link, title, published or updated),
        guid=guid,
        link=link,
        title=title,
        summary_html=_html(_get(raw, "summary_detail"), _get(raw, "summary"), base, source),
        content_html=_html(content[0], None, base, source),
        author=author or None,
        published=published,
        updated=updated,
    )


def _text(node: Any, name: str, source: _Source) -> str:
    detail = _get(node, f"{name}_detail")
    return plain_text(_get(node, name) or "", is_html=source.is_html(detail))


def _html(detail: Any, fallback: str | None, base: str | None, source: _Source) -> str:
    """One HTML field, sanitized, with relative URLs resolved against its xml:base if any."""
    value = _get(detail, "value", fallback) or ""
    if not source.is_html(detail):
        return text_to_html(value)
    own_base = absolute_url(_get(detail, "base"), base)
    return safe_html(value, own_base or base)


def _get(node: Any, key: str, default: Any = None) -> Any:
    """A plain dict lookup: FeedParserDict's own maps ``updated`` to ``published`` (and warns)."""
    return dict.get(node, key, default) if isinstance(node, dict) else default


def _utc(parsed: time.struct_time | None) -> datetime | None:
    if not parsed:
        return None
    try:
        # feedparser's struct_time is UTC; a leap second (60) is not a datetime second.
        return datetime(*parsed[:5], min(parsed[5], 59), tzinfo=UTC)
    except (ValueError, OverflowError, TypeError):
        return None


def _describe(exc: object) -> str:
    if isinstance(exc, xml.sax.SAXParseException):
        text = f"{exc.getMessage()} at line {exc.getLineNumber()}, column {exc.getColumnNumber()}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return " ".join(text.split())[:_MAX_MESSAGE]


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the work after ``seconds`` (in a process's main thread; else no limit)."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    fired: list[bool] = []

    def on_alarm(_signum: int, _frame: object) -> None:
        fired.append(True)
        raise _TimeUp

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    if fired:
        # The alarm went off but its exception never reached us: a handler that runs
        # inside a finalizer or a bare ``except:`` is swallowed there. Time is up all the same.
        raise _TimeUp
