"""Plain values that cross the boundary of ``sources/``.

Nothing here imports feedparser, aiohttp or SQLAlchemy: ``collect/`` and ``store/`` use these
types without knowing how a feed was fetched or parsed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

from newsletter import __version__

Kind = Literal["articles", "questions"]


@dataclass(frozen=True)
class Limits:
    """How much one feed may cost. Defaults suit a cron job polling a few hundred feeds."""

    concurrency: int = 10  # feeds fetched at once
    connect_timeout: float = 10.0  # seconds to open a connection
    read_timeout: float = 20.0  # seconds of silence tolerated while reading
    deadline: float = 60.0  # seconds for one feed, start to end, whatever the server does
    max_bytes: int = 10 * 1024 * 1024  # raw bytes on the wire
    max_decoded_bytes: int = 20 * 1024 * 1024  # after gzip/deflate
    max_redirects: int = 5
    parse_workers: int = 0  # 0: one per core
    parse_memory_mb: int = 768  # address-space cap of a parse worker
    # PostgreSQL: how long a collector's claim on a feed lasts unrenewed; a collector that
    # dies leaves its feeds to the others once it runs out (three deadlines by default).
    lease_seconds: float = 180.0
    user_agent: str = f"newsletter/{__version__} (feed aggregator)"


@dataclass(frozen=True)
class SourceRequest:
    """One feed to collect, with the validators remembered from last time."""

    feed_id: int
    key: str  # stable identity of the configured feed (its configured url or path)
    kind: Kind
    url: str | None = None  # http(s) URL, current (after permanent redirects)
    path: Path | None = None  # absolute path of a local file
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None  # sha256 hex of the last parsed body


@dataclass(frozen=True)
class FetchResult:
    """What the network (or the file system) answered. No judgement about what it means."""

    status_code: int | None  # None: no HTTP answer at all (timeout, refused, cap exceeded...)
    final_url: str | None = None
    permanent_url: str | None = None  # set when every redirect hop was 301/308
    body: bytes | None = None  # decoded from gzip/deflate; None on 304 and on errors
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased names
    etag: str | None = None
    last_modified: str | None = None
    retry_after: str | None = None  # the raw header; collect/ decides what it means
    error: str | None = None  # one sentence when status_code is None or the fetch failed


@dataclass(frozen=True)
class EntryData:
    """One cleaned entry: every str is XML-safe; HTML fields are sanitized by nh3."""

    key: str  # identity: guid, else normalized link, else hash of title and date
    guid: str | None
    link: str | None
    title: str  # plain text, not escaped
    summary_html: str
    content_html: str
    author: str | None
    published: datetime | None  # timezone-aware UTC
    updated: datetime | None  # timezone-aware UTC


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    link: str | None
    entries: tuple[EntryData, ...]
    warning: str | None = None  # set when entries were salvaged from an ill-formed feed


@dataclass(frozen=True)
class SourceResult:
    """The outcome of collecting one SourceRequest."""

    request: SourceRequest
    fetch: FetchResult
    body_hash: str | None = None  # sha256 hex of the body, when there was one
    unchanged: bool = False  # 304, or a body identical to the last parsed one: not parsed
    parsed: ParsedFeed | None = None
    parse_error: str | None = None  # one sentence: the feed could not be parsed
    elapsed: float = 0.0
