"""The digest archive: the store's view of digests, the pages, and the feed of digests."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import feedparser

from newsletter.publish import publish_site
from newsletter.store import SqlStore
from tests.support.publish import BASE_URL, NOW, add_digest, make_settings


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs.append(dict(attrs).get("href") or "")

    def handle_data(self, data: str) -> None:
        self.texts.append(data)


def links(html: str) -> Links:
    parser = Links()
    parser.feed(html)
    return parser


def test_the_store_lists_digests_newest_week_first_with_their_exercise(store: SqlStore) -> None:
    add_digest(store, "2026-W47", exercise="Toe yoga")
    add_digest(store, "2026-W48", exercise="Marble pick-up")
    add_digest(store, "2025-W52", exercise=None)

    summaries = store.digest_summaries()

    assert [s.week for s in summaries] == ["2026-W48", "2026-W47", "2025-W52"]
    assert [s.exercise_name for s in summaries] == ["Marble pick-up", "Toe yoga", None]
    stored = store.get_digest("2026-W47")
    assert stored is not None
    assert stored.summary.subject == "Best Running Tips: week 2026-W47"
    assert "%%UNSUBSCRIBE_URL%%" in stored.html
    assert stored.summary.built_at.tzinfo is not None
    assert store.get_digest("2026-W01") is None


def test_the_archive_has_an_index_and_a_page_per_digest(store: SqlStore, tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    add_digest(store, "2026-W47", exercise="Toe yoga")
    add_digest(store, "2026-W48", exercise="Marble pick-up", subject="Week 48: hills")

    report = publish_site(settings, store, NOW)

    out = settings.root / "public" / "archive"
    assert {"archive/2026-W47.html", "archive/2026-W48.html"} <= set(report.written)
    assert report.digests == 2
    index = (out / "index.html").read_text(encoding="utf-8")
    parsed = links(index)
    assert [h for h in parsed.hrefs if h.endswith(".html")] == ["2026-W48.html", "2026-W47.html"]
    text = " ".join(" ".join(parsed.texts).split())
    assert "Week 48: hills" in text and "Marble pick-up" in text and "Toe yoga" in text
    assert {"../feed.xml", "../atom.xml", "../feed.json", "../archive/feed.xml"} <= set(
        parsed.hrefs
    )
    assert '<html lang="en-GB">' in index
    assert 'name="viewport"' in index
    assert "<title>Past digests · Best Running Tips</title>" in index
    # Nobody was mailed these (no subscriber, no send): the page must not say "sent" (issue 19).
    assert "Every weekly digest so far, newest first" in index and " sent" not in index
    page = (out / "2026-W48.html").read_text(encoding="utf-8")
    # A page on the web, not the email: no unsubscribe link, the subscription on offer.
    assert "%%UNSUBSCRIBE_URL%%" not in page and "nsubscribe" not in page
    assert "You are getting this email" not in page
    assert '<a class="button" href="../">Subscribe</a>' in page


def test_digest_text_is_escaped_in_the_index(store: SqlStore, tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    add_digest(
        store,
        "2026-W48",
        subject="<script>alert(1)</script>Hills & <b>speed</b>",
        exercise='<img src=x onerror="alert(2)">Toe & heel',
    )
    publish_site(settings, store, NOW)
    index = (settings.root / "public" / "archive" / "index.html").read_text(encoding="utf-8")
    assert "<script" not in index and "onerror" not in index and "alert(" not in index
    assert "Hills &amp; speed" in index
    assert "Toe &amp; heel" in index


def test_an_empty_archive_says_so(store: SqlStore, tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    publish_site(settings, store, NOW)
    index = (settings.root / "public" / "archive" / "index.html").read_text(encoding="utf-8")
    assert "No digest yet: the first one is on its way." in index
    assert '<a href="../">Subscribe</a>' in index  # the way to subscribe


def test_the_feed_of_digests_links_each_page(store: SqlStore, tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    add_digest(store, "2026-W47", exercise="Toe yoga", item_count=4)
    add_digest(store, "2026-W48", exercise=None)

    publish_site(settings, store, NOW)
    again = publish_site(settings, store, NOW)

    parsed = feedparser.parse((settings.root / "public" / "archive" / "feed.xml").read_bytes())
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert [e.link for e in parsed.entries] == [
        f"{BASE_URL}archive/2026-W48.html",
        f"{BASE_URL}archive/2026-W47.html",
    ]
    assert [e.id for e in parsed.entries] == [
        "tag:www.example.com,2026:digest/2026-W48",
        "tag:www.example.com,2026:digest/2026-W47",
    ]
    assert "4 new items; exercise of the week: Toe yoga" in parsed.entries[1].summary
    assert parsed.feed.title == "Best Running Tips: weekly digests"
    assert parsed.feed.link == f"{BASE_URL}archive/"
    selfs = [link.href for link in parsed.feed.links if link.rel == "self"]
    assert selfs == [f"{BASE_URL}archive/feed.xml"]
    # lastBuildDate: the newest digest's build time (W48 Monday + 7 days, 07:00)
    assert re.search(r"Mon, 30 Nov 2026 07:00:00 \+0000", parsed.feed.updated)
    assert again.written == []


def test_a_digest_page_links_relatively_whatever_the_base_url(
    store: SqlStore, tmp_path: Path
) -> None:
    # The same bytes work as a file behind nginx and from the app, under any prefix.
    add_digest(store, "2026-W48")
    settings = make_settings(tmp_path, base_url="https://other.example/news")
    publish_site(settings, store, NOW)
    page = (settings.root / "public" / "archive" / "2026-W48.html").read_text(encoding="utf-8")
    assert "other.example" not in page
    assert '<link rel="stylesheet" href="../static/site.css?v=' in page
    assert '<a href="../ask"' in page and '<a href="../archive/"' in page
