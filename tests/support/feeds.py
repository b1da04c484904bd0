"""Configured feeds for store tests: ``count`` articles feeds by URL, none fetched."""

from __future__ import annotations

from newsletter.config import FeedConfig


def url_feeds(count: int) -> tuple[FeedConfig, ...]:
    return tuple(
        FeedConfig(
            name=f"Feed {n}",
            kind="articles",
            key=f"https://e.example/{n}",
            url=f"https://e.example/{n}",
        )
        for n in range(count)
    )
