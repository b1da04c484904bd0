"""JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/) from plain data and ``json``.

Keys are written in a fixed order and dates to the second, so the same items always give
the same bytes. Compact separators: ``indent`` would switch ``json`` to its pure-Python
encoder, ten times slower on a large feed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from newsletter.publish.items import FeedItem, FeedMeta

VERSION = "https://jsonfeed.org/version/1.1"


def json_feed(meta: FeedMeta, items: Sequence[FeedItem], name: str) -> bytes:
    feed: dict[str, Any] = {
        "version": VERSION,
        "title": meta.title,
        "home_page_url": meta.site_url,
        "feed_url": meta.url(name),
        "description": meta.description,
        "language": meta.language,
        "authors": [{"name": meta.title, "url": meta.site_url}],
    }
    if meta.hub:
        feed["hubs"] = [{"type": "WebSub", "url": meta.hub}]
    feed["items"] = [_item(item) for item in items]
    text = json.dumps(feed, ensure_ascii=False, separators=(",", ":"))
    return (text + "\n").encode("utf-8")


def _item(item: FeedItem) -> dict[str, Any]:
    data: dict[str, Any] = {"id": item.id}
    if item.link:
        data["url"] = item.link
    data["title"] = item.title
    data["content_html"] = item.content_html
    if item.summary_text:
        data["summary"] = item.summary_text  # plain text, as the spec wants
    data["date_published"] = rfc3339(item.published)
    data["date_modified"] = rfc3339(item.updated)
    if item.author:
        data["authors"] = [{"name": item.author}]
    data["tags"] = [item.category]
    if item.source:
        # Extensions start with "_" (spec, "Extensions"); readers that don't know it skip it.
        data["_source"] = {"title": item.source.name, "url": item.source.url}
    return data


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
