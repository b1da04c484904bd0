"""Feeds in, clean entries out: fetch (httpx), parse (feedparser, in worker processes), clean (nh3).

The only place that imports feedparser and the HTTP client. Everything else talks to it
through ``collect()`` and the plain values in ``types``.
"""

from newsletter.sources.collector import collect
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
    "collect",
]
