"""The digest archive: an index page, one page per digest, and a feed of the digests."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

import newsletter.publish.xmlfeeds as xmlfeeds
from newsletter.config import Settings, Site
from newsletter.digest.compose import (
    ExerciseView,
    ItemView,
    exercise_view,
    item_views,
    long_date,
)
from newsletter.digest.note import note_markup
from newsletter.digest.picture import email_pictures
from newsletter.digest.weeks import send_day
from newsletter.formats import DIGESTS
from newsletter.html_text import excerpt, plain_text
from newsletter.pictures.png import HostedPicture
from newsletter.publish.exercise_pages import picture_markup
from newsletter.publish.items import (
    FeedItem,
    digest_tag,
    feed_meta,
    newest,
    second,
    tag_authority,
)
from newsletter.publish.pages import render_page
from newsletter.store.archive import ArchivedDigest
from newsletter.store.digests import DigestSummary

WEEK = re.compile(r"\d{4}-W(0[1-9]|[1-4][0-9]|5[0-3])")
FEED_NAME = DIGESTS.path
DESCRIPTION_CHARS = 155  # what search results show of a meta description


@dataclass(frozen=True)
class DigestPage:
    """What templates/archive/digest.html shows: the digest as the web reads it."""

    week: str
    subject: str
    issue_date: str  # "Monday 23 November 2026"
    send_date: str  # 2026-11-23, for <time datetime>
    exercise: ExerciseView | None
    exercise_href: str | None
    picture: Markup | None  # the exercise's inline SVG, as on its own page
    articles: tuple[ItemView, ...]
    questions: tuple[ItemView, ...]
    description: str
    older: Neighbour | None
    newer: Neighbour | None
    note: Markup | None = None  # the editor's note, as the email carried it


@dataclass(frozen=True)
class Neighbour:
    """The link to the week before or after, as the page names it."""

    href: str
    label: str


def is_week(week: str) -> bool:
    return WEEK.fullmatch(week) is not None


def page_name(week: str) -> str:
    return f"archive/{week}.html"


def digest_page(
    settings: Settings, digest: ArchivedDigest, digests: Sequence[DigestSummary]
) -> bytes:
    """The archive page of ``digest``: the email's content with web wording (a page has
    no unsubscribe link; it offers the subscription instead), in the site's layout."""
    view = digest_view(settings, digest, digests)
    return render_page(settings, "archive/digest.html", "../", digest=view)


def digest_view(
    settings: Settings, digest: ArchivedDigest, digests: Sequence[DigestSummary]
) -> DigestPage:
    week = digest.summary.week
    zone = settings.newsletter.timezone
    articles = item_views(zone, [e for e in digest.entries if e.kind != "question"])
    questions = item_views(zone, [e for e in digest.entries if e.kind == "question"])
    exercise = exercise_view(digest.exercise) if digest.exercise else None
    day = send_day(week, settings.newsletter.send_on)
    subject = plain_text(digest.summary.subject) or f"Week {week}"
    weeks = [d.week for d in digests if is_week(d.week)]  # newest first
    at = weeks.index(week) if week in weeks else -1
    return DigestPage(
        week=week,
        subject=subject,
        issue_date=long_date(day),
        send_date=day.isoformat(),
        exercise=exercise,
        exercise_href=exercise_href(digest.exercise.slug) if digest.exercise else None,
        picture=picture_markup(settings.root, digest.exercise.slug) if digest.exercise else None,
        articles=articles,
        questions=questions,
        description=_description(settings.site.title, subject, articles + questions, exercise),
        older=_neighbour(weeks, at + 1, "Older digest") if at >= 0 else None,
        newer=_neighbour(weeks, at - 1, "Newer digest") if at >= 1 else None,
        note=note_markup(digest.note),
    )


def exercise_href(slug: str) -> str:
    """From a page of archive/ to the exercise's own page."""
    return f"exercises/{slug}.html"


def index_page(settings: Settings, digests: Sequence[DigestSummary]) -> bytes:
    # Each week's exercise as the small PNG publish writes beside the exercise pages: one
    # cached image however many weeks featured it (inline SVG would repeat, ids and all).
    pictures = email_pictures(settings.root)
    rows = [
        {
            "week": d.week,
            "subject": plain_text(d.subject) or f"Week {d.week}",
            "exercise": plain_text(d.exercise_name),
            "picture": _index_picture(pictures.get(d.exercise_slug or "")),
            "href": f"{d.week}.html",
            "date": send_day(d.week, settings.newsletter.send_on).isoformat(),
            "issue_date": long_date(send_day(d.week, settings.newsletter.send_on)),
        }
        for d in digests
        if is_week(d.week)
    ]
    return render_page(settings, "archive/index.html", "../", digests=rows)


def _index_picture(picture: HostedPicture | None) -> dict[str, str | int] | None:
    """From archive/index.html: the PNG's path, and half its shown size."""
    if picture is None:
        return None
    src = picture.path.removeprefix("archive/")
    return {"src": src, "width": picture.width // 2, "height": picture.height // 2}


def digests_feed(site: Site, base_url: str, digests: Sequence[DigestSummary]) -> bytes:
    """An RSS feed of the latest digests, each linking to its archive page."""
    shown = [d for d in digests if is_week(d.week)][: site.feed_items]
    meta = feed_meta(
        site,
        base_url,
        newest(d.built_at for d in shown),
        title=f"{site.title}: weekly digests",
        description=f"Every weekly digest of {site.title}, newest first",
        home=base_url + "archive/",
    )
    authority = tag_authority(site.url)
    items = [_digest_item(base_url, authority, d) for d in shown]
    generator = xmlfeeds.feed_generator(meta, items, meta.url(FEED_NAME))
    return xmlfeeds.rss(generator, meta, FEED_NAME)


def _digest_item(base_url: str, authority: str, digest: DigestSummary) -> FeedItem:
    about = f"The weekly digest of {digest.week}: {digest.item_count} new items"
    exercise = plain_text(digest.exercise_name)
    if exercise:
        about += f"; exercise of the week: {exercise}"
    built = second(digest.built_at)
    return FeedItem(
        id=digest_tag(authority, digest.week),
        id_is_link=False,
        title=plain_text(digest.subject) or f"Week {digest.week}",
        link=base_url + page_name(digest.week),
        summary_html="",
        content_html=f"<p>{html.escape(about + '.', quote=False)}</p>",
        summary_text=about + ".",
        author=None,
        category="digest",
        source=None,
        published=built,
        updated=built,
    )


def _description(
    site_title: str,
    subject: str,
    items: tuple[ItemView, ...],
    exercise: ExerciseView | None,
) -> str:
    if items:
        text = f"{subject}. Inside: " + " · ".join(item.title for item in items)
    elif exercise:
        text = f"{subject}. It strengthens {exercise.strengthens}."
    else:
        text = f"The weekly digest of {site_title}."
    return excerpt(text, DESCRIPTION_CHARS)


def _neighbour(weeks: list[str], at: int, label: str) -> Neighbour | None:
    if not 0 <= at < len(weeks):
        return None
    return Neighbour(f"{weeks[at]}.html", f"{label}: week {weeks[at]}")
