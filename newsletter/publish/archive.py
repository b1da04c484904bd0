"""The digest archive: an index page, one page per digest, and a feed of the digests."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment

from newsletter.config import Settings
from newsletter.html_text import plain_text
from newsletter.publish import xmlfeeds
from newsletter.publish.items import (
    FeedItem,
    digest_tag,
    feed_meta,
    newest,
    second,
    tag_authority,
)
from newsletter.store.digests import DigestSummary, StoredDigest
from newsletter.templating import make_environment

WEEK = re.compile(r"\d{4}-W(0[1-9]|[1-4][0-9]|5[0-3])")
# The digest's HTML is rendered once for every subscriber; this token becomes each one's
# unsubscribe link. Nobody unsubscribes from an archive page, so it points at the subscribe
# page (the web app's front page) instead.
UNSUBSCRIBE_TOKEN = "%%UNSUBSCRIBE_URL%%"
FEED_NAME = "archive/feed.xml"


def is_week(week: str) -> bool:
    return WEEK.fullmatch(week) is not None


def page_name(week: str) -> str:
    return f"archive/{week}.html"


def digest_page(settings: Settings, digest: StoredDigest) -> bytes:
    subscribe = html.escape(settings.env.base_url, quote=True)
    return digest.html.replace(UNSUBSCRIBE_TOKEN, subscribe).encode("utf-8", "replace")


def index_page(settings: Settings, digests: Sequence[DigestSummary]) -> bytes:
    template = _environment(settings.root).get_template("archive/index.html")
    rows = [
        {
            "week": d.week,
            "subject": plain_text(d.subject) or f"Week {d.week}",
            "exercise": plain_text(d.exercise_name),
            "href": f"{d.week}.html",
        }
        for d in digests
        if is_week(d.week)
    ]
    text = template.render(
        language=settings.site.language,
        site_title=settings.site.title,
        site_description=settings.site.description,
        site_url=settings.site.url,
        subscribe_url=settings.env.base_url,
        root="../",
        digests=rows,
    )
    return text.encode("utf-8", "replace")


def digests_feed(settings: Settings, digests: Sequence[DigestSummary]) -> bytes:
    """An RSS feed of the latest digests, each linking to its archive page."""
    shown = [d for d in digests if is_week(d.week)][: settings.site.feed_items]
    meta = feed_meta(
        settings,
        newest(d.built_at for d in shown),
        title=f"{settings.site.title}: weekly digests",
        description=f"Every weekly digest of {settings.site.title}, newest first",
        home=settings.env.base_url + "archive/",
    )
    authority = tag_authority(settings)
    items = [_digest_item(settings, authority, d) for d in shown]
    generator = xmlfeeds.feed_generator(meta, items, meta.url(FEED_NAME))
    return xmlfeeds.rss(generator, meta, FEED_NAME)


def _digest_item(settings: Settings, authority: str, digest: DigestSummary) -> FeedItem:
    about = f"The weekly digest of {digest.week}: {digest.item_count} new items"
    exercise = plain_text(digest.exercise_name)
    if exercise:
        about += f"; exercise of the week: {exercise}"
    built = second(digest.built_at)
    return FeedItem(
        id=digest_tag(authority, digest.week),
        id_is_link=False,
        title=plain_text(digest.subject) or f"Week {digest.week}",
        link=settings.env.base_url + page_name(digest.week),
        summary_html="",
        content_html=f"<p>{html.escape(about + '.', quote=False)}</p>",
        summary_text=about + ".",
        author=None,
        category="digest",
        source=None,
        published=built,
        updated=built,
    )


@lru_cache(maxsize=8)
def _environment(root: Path) -> Environment:
    # One environment per site folder: templates compile once, and Jinja still reloads a
    # template whose file changed.
    return make_environment(root)
