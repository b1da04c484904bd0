"""Feeds in, clean entries out: fetch (aiohttp), parse (feedparser, in worker processes),
clean (nh3).

The only place that imports feedparser and the HTTP clients. Everything else talks to it
through ``collect()`` and the plain values in ``types``.
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
    from newsletter.sources.collector import collect

__all__ = [
    "EntryData",
    "FetchResult",
    "Kind",
    "Limits",
    "ParsedFeed",
    "SourceRequest",
    "SourceResult",
    "collect",
]


def __getattr__(name: str) -> object:
    # The config reads only the plain values above; aiohttp and feedparser are imported
    # the first time something collects, so `newsletter --help` never pays for them.
    if name == "collect":
        from newsletter.sources.collector import collect

        return collect
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
