"""Feeds in, clean entries out: fetch (aiohttp), parse (feedparser, in worker processes),
clean (nh3).

The only place that imports feedparser and the HTTP clients. Everything else talks to it
through ``read.read_feeds()`` (which the ``collect`` step calls) and the plain values in
``types``, re-exported here.
"""

from __future__ import annotations

from newsletter.sources.types import (
    EntryData,
    FetchResult,
    Kind,
    Limits,
    ParsedFeed,
    SourceRequest,
    SourceResult,
)

__all__ = [
    "EntryData",
    "FetchResult",
    "Kind",
    "Limits",
    "ParsedFeed",
    "SourceRequest",
    "SourceResult",
]
