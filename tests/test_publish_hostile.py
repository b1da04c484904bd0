"""Hostile content never reaches a published file in active form, and never breaks a feed.

The entries go straight into the store, bypassing ingest and its sanitizer: publishing must
be safe on its own.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import feedparser
from lxml import etree

from newsletter.publish import jsonfeed, xmlfeeds
from newsletter.publish.items import feed_items, feed_meta
from newsletter.publish.site import publish_site
from newsletter.store import SqlStore
from newsletter.store.entries import EntryKind, PublishedEntry
from tests.support.publish import NOW, add_entries, entry, feed_ids, make_settings, read_all

ACTIVE = (
    "alert(",
    "<script",
    "&lt;script",
    "javascript",
    "onerror",
    "onclick",
    "onmouseover",
    "iframe",
    "<form",
    "&lt;form",
    "<input",
    "&lt;input",
)


def hostile_fields(nul: str) -> dict[str, str]:
    return {
        "title": "<script>alert(1)</script>Hello <img src=x onerror=alert(2)>\x0b\x01" + nul,
        "summary_html": (
            '<p onclick="alert(3)">Hi</p><script>alert(4)</script>'
            '<a href="javascript:alert(5)">click</a>]]>'
        ),
        "content_html": (
            '<iframe src="https://evil.example/"></iframe>'
            '<form action="https://evil.example/"><input name="x"></form>'
            '<img src="https://cdn.example/a.png" onerror="alert(6)">'
            f"<p>fine words\x0b</p>{nul}<svg><script>alert(7)</script></svg>]]>"
        ),
        "link": "javascript:alert(8)",
        "guid": "javascript:alert(9)",
        "author": "<b onmouseover=alert(10)>Mallory</b>\x0c",
    }


def test_a_hostile_entry_in_the_store_is_published_inert(store: SqlStore, tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    # PostgreSQL cannot store NUL at all; SQLite can, so it gets one.
    nul = "\x00" if store.dialect == "sqlite" else ""
    feeds = feed_ids(store, settings)
    add_entries(store, feeds["Running Training"], [entry(1, **hostile_fields(nul)), entry(2)])

    publish_site(settings, store, NOW)

    files = read_all(settings.root / "public")
    for name, data in files.items():
        if name.startswith("static/"):
            continue  # our own stylesheet and icons, not from the store
        text = data.decode("utf-8").lower()
        for needle in ACTIVE:
            assert needle not in text, (name, needle)
        assert "\x00" not in text and "\x0b" not in text and "\x01" not in text, name
    for name in ("feed.xml", "atom.xml"):
        parsed = feedparser.parse(files[name], sanitize_html=False)
        assert parsed.bozo == 0, parsed.get("bozo_exception")
        first = parsed.entries[0]
        assert first.title == "Hello"
        assert "fine words" in first.content[0].value
        assert '<img src="https://cdn.example/a.png"' in first.content[0].value
        assert "link" not in first or first.link != "javascript:alert(8)"
        assert first.author == "Mallory"
        assert parsed.entries[1].title == "Tip number 2"  # the next entry is intact
    items = json.loads(files["feed.json"])["items"]
    assert items[0]["title"] == "Hello" and "url" not in items[0]
    assert items[0]["id"].startswith("tag:")


def test_characters_no_store_can_hold_are_still_removed_at_output(tmp_path: Path) -> None:
    """A lone surrogate and NUL cannot be stored, but the writers must survive them too."""
    hostile = PublishedEntry(
        id=1,
        key="hash:x",
        kind=EntryKind.ARTICLE,
        guid="urn:uuid:\ud800\x00",
        link="https://www.example.com/a\ud800",
        title="Bad \ud800 title\x00\x0b",
        summary_html="<p>sum\udfff</p>",
        content_html="<p>body\x00\x0b\ud83d</p>",
        author="Eve\ud800",
        published_at=NOW,
        updated_at=NOW + timedelta(hours=1),
        first_seen_at=NOW,
        changed_at=NOW,
        feed_name="Feed \x1f",
        feed_url="https://www.example.com/feed\x00.xml",
    )
    settings = make_settings(tmp_path)
    meta = feed_meta(settings.site, settings.env.base_url, NOW)
    items = feed_items([hostile], settings.site.url, settings.env.base_url)
    generator = xmlfeeds.feed_generator(meta, items, meta.url("atom.xml"))
    outputs = [
        xmlfeeds.rss(generator, meta, "feed.xml"),
        xmlfeeds.atom(generator, meta, "atom.xml"),
        jsonfeed.json_feed(meta, items, "feed.json"),
    ]
    for data in outputs[:2]:
        etree.fromstring(data)  # strict XML: raises on any illegal character
        assert feedparser.parse(data).bozo == 0
    assert json.loads(outputs[2])["items"][0]["title"] == "Bad title"
    assert items[0].title == "Bad title"
    assert items[0].author == "Eve"
    assert items[0].content_html == "<p>body</p>"
