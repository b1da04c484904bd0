"""RSS 2.0 and Atom 1.0 with feedgen, from :class:`FeedItem` lists.

feedgen stamps "now" on a feed and on every entry unless told otherwise; everything here
sets those dates from the data, so the same items always give the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem

from newsletter.publish.items import FeedItem, FeedMeta, Source

ATOM_NS = "http://www.w3.org/2005/Atom"
RSS_TYPE = "application/rss+xml"
ATOM_TYPE = "application/atom+xml"
GENERATOR = "newsletter"


class _HubLink(BaseExtension):  # type: ignore[misc]
    """``<atom:link rel="hub">`` in an RSS channel, which feedgen does not write itself."""

    def __init__(self) -> None:
        self.hub: str | None = None

    def extend_ns(self) -> dict[str, str]:
        return {"atom": ATOM_NS}

    def extend_rss(self, rss: Any) -> Any:
        if self.hub:
            channel = rss.find("channel")
            xml_elem(f"{{{ATOM_NS}}}link", channel, href=self.hub, rel="hub")
        return rss


class _Origin(BaseEntryExtension):  # type: ignore[misc]
    """The item's source feed: ``<source url>`` in RSS, a complete ``<source>`` in Atom.

    feedgen's own Atom source has only a title and a link, and the W3C validator wants
    what a feed has: id, title and updated (and a self link when there is one).
    """

    def __init__(self) -> None:
        self.source: Source | None = None
        self.updated: datetime | None = None

    def set(self, source: Source, updated: datetime) -> None:
        self.source, self.updated = source, updated

    def extend_rss(self, item: Any) -> Any:
        if self.source:
            xml_elem("source", item, url=self.source.url).text = self.source.name
        return item

    def extend_atom(self, entry: Any) -> Any:
        if self.source and self.updated:
            source = xml_elem("source", entry)
            xml_elem("id", source).text = self.source.id
            xml_elem("title", source).text = self.source.name
            xml_elem("updated", source).text = self.updated.isoformat()
            rel = "self" if self.source.is_feed else "alternate"
            xml_elem("link", source, href=self.source.url, rel=rel)
        return entry


def feed_generator(meta: FeedMeta, items: Sequence[FeedItem], feed_id: str) -> Any:
    """A feedgen generator holding ``items``; write it with :func:`rss` and :func:`atom`.

    One generator serves both formats: the entries are built once, only the self link
    changes between them.
    """
    generator = _generator(meta, feed_id)
    for item in items:
        _add(generator, item)
    return generator


# The entries' feeds are identified by atom.xml's URL, in RSS too, as they always were:
# readers key their items on it.
ENTRIES_FEED_ID = "atom.xml"


def rss_feed(meta: FeedMeta, items: Sequence[FeedItem], name: str) -> bytes:
    """The entries' RSS feed (a renderer of ``newsletter.formats``)."""
    return rss(feed_generator(meta, items, meta.url(ENTRIES_FEED_ID)), meta, name)


def atom_feed(meta: FeedMeta, items: Sequence[FeedItem], name: str) -> bytes:
    """The entries' Atom feed (a renderer of ``newsletter.formats``)."""
    return atom(feed_generator(meta, items, meta.url(ENTRIES_FEED_ID)), meta, name)


def rss(generator: Any, meta: FeedMeta, name: str) -> bytes:
    generator.link(_links(meta, name, RSS_TYPE), replace=True)
    return bytes(generator.rss_str(pretty=True))


def atom(generator: Any, meta: FeedMeta, name: str) -> bytes:
    generator.link(_links(meta, name, ATOM_TYPE), replace=True)
    return bytes(generator.atom_str(pretty=True))


def _generator(meta: FeedMeta, feed_id: str) -> Any:
    generator = FeedGenerator()
    generator.load_extension("dc", atom=False, rss=True)  # dc:creator: RSS authors lack email
    generator.register_extension("websub", _HubLink, BaseEntryExtension, atom=False, rss=True)
    generator.register_extension("origin", BaseExtension, _Origin)
    generator.websub.hub = meta.hub
    generator.id(feed_id)
    generator.title(meta.title)
    generator.description(meta.description)  # also the Atom subtitle
    generator.language(meta.language)
    generator.author({"name": meta.title, "uri": meta.site_url})
    generator.generator(GENERATOR)
    generator.updated(meta.updated)  # also lastBuildDate; never "now"
    return generator


def _links(meta: FeedMeta, self_name: str, self_type: str) -> list[dict[str, str]]:
    # feedgen's RSS <link> is the href of the *last* link, so the site comes last; RSS gets
    # only the self link as atom:link, and the hub through the _HubLink extension.
    links = [{"href": meta.url(self_name), "rel": "self", "type": self_type}]
    if meta.hub:
        links.append({"href": meta.hub, "rel": "hub"})
    links.append({"href": meta.site_url, "rel": "alternate", "type": "text/html"})
    return links


def _add(generator: Any, item: FeedItem) -> None:
    entry = generator.add_entry(order="append")
    entry.guid(item.id, permalink=item.id_is_link)
    entry.title(item.title)
    if item.link:
        entry.link(href=item.link, rel="alternate", type="text/html")
    if item.summary_html:
        entry.summary(item.summary_html, type="html")
    entry.content(item.content_html, type="html")  # escaped text, never CDATA
    if item.author:
        entry.author({"name": item.author})
        entry.dc.dc_creator(item.author)
    entry.category({"term": item.category})
    if item.source:
        entry.origin.set(item.source, item.updated)
    entry.published(item.published)
    entry.updated(item.updated)
