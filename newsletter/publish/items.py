"""From stored entries to feed items: identity, safe text, absolute URLs, dates. No I/O.

Every format (RSS, Atom, JSON Feed) is written from the same :class:`FeedItem` list, so
they always agree on ids, links and dates.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import lru_cache
from urllib.parse import urlsplit

from newsletter.config import Site
from newsletter.formats import question_path
from newsletter.html_text import plain_text
from newsletter.publish.safe import is_safe_id, safe_html, safe_url
from newsletter.store.entries import EntryKind, PublishedEntry

# What an empty feed says it was last updated: a fixed instant, never "now", so publishing
# an empty store twice gives the same bytes.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# RFC 4151 wants a date on which the tagging entity held the name; any fixed one keeps the
# ids stable, and "derived from the key alone" survives a rebuilt database.
TAG_DATE = "2026"
# Between a question and the owner's answer, in every format's content.
ANSWER_HEADING = "<h3>Our answer</h3>"
# Stored guids that are global identifiers on their own; others (feed-local "123") are not.
_ID_SCHEMES = re.compile(r"^(?:https?://|urn:|tag:)", re.IGNORECASE)


@dataclass(frozen=True)
class FeedMeta:
    """The channel: what every format says about the feed itself."""

    title: str
    description: str
    site_url: str  # the website (rel="alternate")
    base_url: str  # where the feeds live, ending in "/"
    language: str
    hub: str | None
    updated: datetime

    def url(self, name: str) -> str:
        return self.base_url + name


@dataclass(frozen=True)
class Source:
    """The configured feed an item came from."""

    name: str
    id: str  # Atom id: the feed's URL, or a tag URI for a local-file feed
    url: str  # the feed's URL; a local-file feed is part of the site: the site's URL
    is_feed: bool  # url is the feed itself (else the site)


@dataclass(frozen=True)
class FeedItem:
    id: str
    id_is_link: bool
    title: str
    link: str | None
    summary_html: str  # "" when the content says it all
    content_html: str  # never empty
    summary_text: str  # the summary as plain text; "" without a summary
    author: str | None
    category: str  # article | question
    source: Source | None
    published: datetime
    updated: datetime


def feed_meta(
    site: Site,
    base_url: str,
    updated: datetime,
    title: str | None = None,
    description: str | None = None,
    home: str | None = None,
) -> FeedMeta:
    """The channel; ``title``, ``description`` and ``home`` override the site's own."""
    return FeedMeta(
        title=plain_text(title or site.title) or "Feed",
        description=plain_text(description or site.description or site.title) or "Feed",
        site_url=home or site.url,
        base_url=base_url,
        language=site.language,
        hub=site.websub_hub,
        updated=second(updated),
    )


def page_of(entry: PublishedEntry, base_url: str) -> str | None:
    """The entry's page on this site: an answered question has one, holding the answer."""
    if entry.kind == EntryKind.QUESTION and entry.answer_html:
        return base_url + question_path(entry.id)
    return None


def feed_items(entries: Sequence[PublishedEntry], site_url: str, base_url: str) -> list[FeedItem]:
    """One item per entry, in the given order, with ids unique within the feed."""
    authority = tag_authority(site_url)
    used: set[str] = set()
    items = []
    for entry in entries:
        item = feed_item(entry, authority, site_url, base_url)
        if item.id in used:
            # Two rows claiming one guid: the store key is unique, so its tag URI is too.
            item = _with_id(item, entry_tag(authority, entry.key))
        used.add(item.id)
        items.append(item)
    return items


def feed_item(entry: PublishedEntry, authority: str, site_url: str, base_url: str = "") -> FeedItem:
    """The item of ``entry``. An answered question links to its page on this site (at
    ``base_url``), where the answer is; its id stays what it was before the answer."""
    own_link = safe_url(entry.link)
    link = (safe_url(page_of(entry, base_url)) if base_url else None) or own_link
    title = plain_text(entry.title) or "Untitled"
    content = safe_html(entry.content_html)
    summary = safe_html(entry.summary_html)
    if entry.answer_html and content:
        content += ANSWER_HEADING + safe_html(entry.answer_html)
    if not content:
        content, summary = summary, ""
    if summary == content:
        summary = ""
    published = second(entry.published_at)
    ident = item_id(entry, own_link, authority)
    return FeedItem(
        id=ident,
        id_is_link=ident == link,
        title=title,
        link=link,
        summary_html=summary,
        content_html=content or html.escape(title, quote=False),
        summary_text=plain_text(summary),
        author=plain_text(entry.author) or None,
        category=str(entry.kind),  # article | question
        source=_source(entry.feed_name, entry.feed_url, site_url, authority),
        published=published,
        updated=max(published, second(entry.updated_at or entry.published_at)),
    )


def item_id(entry: PublishedEntry, link: str | None, authority: str) -> str:
    """The stored guid when it is a global URI, else the link, else a tag URI of the key."""
    guid = (entry.guid or "").strip()
    if guid and _ID_SCHEMES.match(guid) and is_safe_id(guid) and _has_host(guid):
        return guid
    return link or entry_tag(authority, entry.key)


def entry_tag(authority: str, key: str) -> str:
    return f"tag:{authority},{TAG_DATE}:entry/{hashlib.sha256(key.encode()).hexdigest()[:32]}"


def digest_tag(authority: str, week: str) -> str:
    return f"tag:{authority},{TAG_DATE}:digest/{week}"


def tag_authority(site_url: str) -> str:
    """The site's host name: the site's identity, unlike the deployment's base URL."""
    return urlsplit(site_url).hostname or "localhost"


def newest(dates: Iterable[datetime]) -> datetime:
    return second(max(dates, default=EPOCH))


def entries_updated(entries: Sequence[PublishedEntry]) -> datetime:
    """When the feed last changed: the latest publication, edit or change we stored."""
    return newest(
        max(e.published_at, e.updated_at or e.published_at, e.changed_at) for e in entries
    )


def second(moment: datetime) -> datetime:
    """UTC, to the second: every format prints it the same way on every run."""
    return moment.astimezone(UTC).replace(microsecond=0)


# A few feeds carry thousands of entries: describe each feed once.
@lru_cache(maxsize=256)
def _source(name: str | None, url: str | None, site_url: str, authority: str) -> Source | None:
    text = plain_text(name)
    if not text:
        return None
    feed_url = safe_url(url)
    if feed_url:
        return Source(name=text, id=feed_url, url=feed_url, is_feed=True)
    digest = hashlib.sha256(text.encode()).hexdigest()[:32]
    return Source(text, f"tag:{authority},{TAG_DATE}:feed/{digest}", site_url, is_feed=False)


def _has_host(uri: str) -> bool:
    return not uri.lower().startswith("http") or safe_url(uri) is not None


def _with_id(item: FeedItem, ident: str) -> FeedItem:
    return replace(item, id=ident, id_is_link=ident == item.link)
