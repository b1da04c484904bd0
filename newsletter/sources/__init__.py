"""Feeds in, clean entries out: fetch (aiohttp), parse (feedparser, in worker processes),
clean (nh3).

The only place that imports feedparser and the HTTP clients. Everything else talks to it
through ``read_feeds()`` (which the ``collect`` step calls) and the plain values in
``types``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from newsletter.sources.types import (
    EntryData,
    FetchResult,
    Kind,
    Limits,
    ParsedFeed,
    SourceRequest,
    SourceResult,
)

if TYPE_CHECKING:
    from newsletter.sources.read import read_feeds

__all__ = [
    "EntryData",
    "FetchResult",
    "Kind",
    "Limits",
    "ParsedFeed",
    "SourceRequest",
    "SourceResult",
    "read_feeds",
]


def __getattr__(name: str) -> object:
    # The config reads only the plain values above; aiohttp and feedparser are imported
    # the first time something collects, so `newsletter --help` never pays for them.
    if name == "read_feeds":
        from newsletter.sources.read import read_feeds

        return read_feeds
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
