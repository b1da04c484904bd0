"""Parsing documents: bytes in, cleaned entries or one refusal sentence out."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsletter.errors import ParseError
from newsletter.sources import parse as parse_module
from newsletter.sources.parse import parse_document, run_feedparser
from newsletter.sources.types import ParsedFeed
from tests.support.hostile_server import (
    BILLION_LAUGHS,
    CONTROL_CHARS_RSS,
    CP1252_RSS,
    CROSSPOST_RSS,
    GOOD_ATOM,
    GOOD_RSS,
    HTML_PAGE,
    MALFORMED_RSS,
    MISSING_GUIDS_RSS,
    QUADRATIC,
    RELATIVE_RSS,
    REPEATED_GUIDS_RSS,
    SCRIPTS_RSS,
    UTF16_ENTITIES,
    XXE,
)

URL = "https://feeds.example/dir/feed.xml"
RSS_UTF8 = {"content-type": "application/rss+xml; charset=utf-8"}
ACTIVE = re.compile(
    r"<script|<style|<iframe|<form|<input|<object|<embed|<meta|<svg|\son\w+\s*=|javascript:|data:",
    re.I,
)


def parse(body: bytes, headers: dict[str, str] | None = None, url: str | None = URL) -> ParsedFeed:
    return parse_document(body, headers or {}, url, url or "local-feed", time_limit=10)


def refusal(body: bytes, headers: dict[str, str] | None = None) -> str:
    with pytest.raises(ParseError) as caught:
        parse(body, headers)
    return str(caught.value)


def test_a_good_rss_feed() -> None:
    feed = parse(GOOD_RSS, RSS_UTF8)
    assert feed.title == "Hostile test feed"
    assert feed.link == "https://example.com/"
    assert feed.warning is None
    assert [e.title for e in feed.entries] == ["First post", "Second post", "Third & last"]
    first = feed.entries[0]
    assert first.key == "guid:https://example.com/posts/1"
    assert first.link == "https://example.com/posts/1"
    assert first.published == datetime(2025, 1, 6, 9, tzinfo=UTC)
    assert first.updated is None  # not feedparser's deprecated fallback to published


def test_a_good_atom_feed() -> None:
    feed = parse(GOOD_ATOM)
    one, two = feed.entries
    assert one.key == "guid:tag:atom.example.net,2025:1"
    assert one.content_html == "<p>Hello <em>world</em></p>"
    assert one.updated == datetime(2025, 1, 6, 10, tzinfo=UTC)
    assert two.title == "Atom two"  # type="html": tags stripped
    assert two.updated == datetime(2025, 1, 5, 8, tzinfo=UTC)  # +02:00 converted to UTC
    assert two.summary_html == "plain &amp; simple"  # type="text": escaped, not parsed


def test_cp1252_bytes_declared_utf8_read_as_cafe() -> None:
    for headers in (RSS_UTF8, {}, {"content-type": "text/xml"}):
        (entry,) = parse(CP1252_RSS, headers).entries
        assert entry.title == "Café “quoted”"


def test_utf16_with_bom_is_read() -> None:
    body = GOOD_RSS.decode().replace('encoding="utf-8"', 'encoding="utf-16"').encode("utf-16")
    assert len(parse(body, {"content-type": "application/xml"}).entries) == 3


def test_an_iso_8859_1_declaration_is_read_as_windows_1252() -> None:
    body = GOOD_RSS.replace(b'encoding="utf-8"', b'encoding="iso-8859-1"').replace(
        b"First post", "“First”".encode("cp1252")
    )
    assert parse(body).entries[0].title == "“First”"


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("billion laughs", BILLION_LAUGHS),
        ("quadratic", QUADRATIC),
        ("xxe", XXE),
        ("utf-16", UTF16_ENTITIES),
        ("lower case", BILLION_LAUGHS.replace(b"<!ENTITY", b"<!entity")),
    ],
)
def test_entity_declarations_are_refused(name: str, body: bytes) -> None:
    assert refusal(body) == "refused: the feed declares XML entities"


def test_utf7_cannot_smuggle_an_entity_declaration() -> None:
    # feedparser alone honours encoding="utf-7", where "+ADw-" reads as "<".
    body = (
        b'<?xml version="1.0" encoding="utf-7"?><!DOCTYPE r [+ADw-!ENTITY a "x">]>'
        b"<rss version='2.0'><channel><title>&a;</title></channel></rss>"
    )
    assert refusal(body).startswith("not a feed")


def test_an_html_page_is_not_a_feed() -> None:
    assert refusal(HTML_PAGE, {"content-type": "text/html"}) == (
        "not a feed: the document is an HTML page"
    )
    assert refusal(HTML_PAGE) == "not a feed: the document is an HTML page"


def test_other_documents_are_not_feeds() -> None:
    assert "JSON" in refusal(b'{"version": "https://jsonfeed.org/version/1.1", "items": []}')
    assert refusal(b"  \n") == "not a feed: the document is empty"
    assert refusal(b"<rss version='2.0'><channel><title>x").startswith("not a feed: ill-formed")


def test_a_body_naming_a_file_is_not_read_from_disk(tmp_path: Path) -> None:
    # feedparser.parse(bytes) opens the file those bytes name; we must never let it.
    secret = tmp_path / "secret.rss"
    secret.write_bytes(GOOD_RSS)
    assert refusal(str(secret).encode()).startswith("not a feed")


def test_a_valid_feed_without_entries_is_fine() -> None:
    feed = parse(b'<rss version="2.0"><channel><title>Empty</title></channel></rss>')
    assert feed.title == "Empty"
    assert feed.entries == ()
    assert feed.warning is None


def test_malformed_xml_keeps_salvaged_entries_with_a_warning() -> None:
    feed = parse(MALFORMED_RSS)
    assert [e.title for e in feed.entries] == ["Fine", "Broken"]
    assert feed.warning is not None
    assert feed.warning.startswith("ill-formed XML (mismatched tag at line")


def test_control_characters_and_surrogate_references_are_dropped() -> None:
    feed = parse(CONTROL_CHARS_RSS)
    assert feed.warning is None  # repaired before parsing: expat reads it, no loose fallback
    assert [e.title for e in feed.entries] == [
        "Null and verticaltab",
        "Surrogate reference",
        "Decimal and nul refs",
    ]


def test_feedparser_exceptions_become_parse_errors() -> None:
    # What parse_document repairs first: feedparser 6 raises on a lone surrogate.
    body = b'<rss version="2.0"><channel><item><title>&#xD800;</title></item></channel></rss>'
    with pytest.raises(ParseError, match=r"^the feed parser failed \(UnicodeEncodeError"):
        run_feedparser(body, {})


def test_nothing_active_survives_in_entries() -> None:
    feed = parse(SCRIPTS_RSS)
    first, second = feed.entries
    assert first.title == "Scripts in the title"
    for entry in feed.entries:
        for html in (entry.summary_html, entry.content_html):
            assert not ACTIVE.search(html), html
    assert 'href="https://example.com/about"' in first.content_html
    assert 'src="https://example.com/s/pic.png"' in first.summary_html
    assert second.summary_html == '<img src="https://example.com/s/x">text'


def test_repeated_guids_keep_the_first_entry() -> None:
    feed = parse(REPEATED_GUIDS_RSS)
    assert [(e.title, e.key) for e in feed.entries] == [
        ("First copy", f"guid:{URL}#dup-1"),
        ("Other", f"guid:{URL}#dup-2"),
    ]
    assert feed.entries[0].link is None  # the guid "dup-1" is not a URL


def test_entries_without_guids() -> None:
    link_only, neither = parse(MISSING_GUIDS_RSS).entries
    assert link_only.guid is None
    assert link_only.key == "link:https://example.com/only-link"
    assert link_only.link == "https://example.com/only-link?utm_medium=rss#top"
    assert neither.key.startswith("hash:")
    assert neither.link is None
    assert neither.published == datetime(2025, 1, 6, 9, tzinfo=UTC)


def test_a_crosspost_has_the_original_key() -> None:
    original = parse(GOOD_RSS).entries[0]
    crossposted = parse(CROSSPOST_RSS, url="https://planet.example.org/feed").entries[0]
    assert crossposted.key == original.key


def test_relative_links_resolve_against_the_feed_url_then_the_entry() -> None:
    (entry,) = parse(RELATIVE_RSS).entries
    assert entry.link == "https://feeds.example/dir/posts/relative"
    assert 'href="https://feeds.example/dir/about"' in entry.summary_html
    assert 'src="https://feeds.example/img/x.png"' in entry.summary_html


def test_xml_base_wins_for_content() -> None:
    body = b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
    <entry><id>tag:x,2025:1</id><title>e</title><link href="https://x.example/e"/>
    <content type="html" xml:base="https://cdn.example/media/">&lt;img src="a.png"&gt;</content>
    </entry></feed>"""
    (entry,) = parse(body).entries
    assert entry.content_html == '<img src="https://cdn.example/media/a.png">'


def test_a_local_feed_resolves_against_its_own_link() -> None:
    (entry,) = parse(RELATIVE_RSS, url=None).entries
    assert entry.link == "https://example.com/posts/relative"


def test_a_leap_second_is_not_a_reason_to_lose_the_date() -> None:
    body = GOOD_RSS.replace(b"09:00:00 GMT", b"23:59:60 GMT")
    published = parse(body).entries[0].published
    assert published is None or published.tzinfo is UTC


# The alarm may go off inside a garbage-collector callback or a finalizer, where Python
# reports the exception as unraisable and drops it; the limit holds all the same (the next
# test), so that report is not a failure here.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_parsing_has_a_time_limit() -> None:
    items = "".join(f"<item><title>t{i}</title><guid>g{i}</guid></item>" for i in range(5000))
    body = f'<rss version="2.0"><channel><title>big</title>{items}</channel></rss>'.encode()
    with pytest.raises(ParseError, match=r"^parsing took longer than 0.01 s$"):
        parse_document(body, {}, URL, URL, time_limit=0.01)


def test_the_time_limit_holds_when_its_interruption_is_swallowed() -> None:
    # feedparser has bare ``except:`` clauses, and a signal handler running inside a
    # finalizer is silenced: the alarm's exception can vanish, the limit must not.
    with pytest.raises(parse_module._TimeUp), parse_module._time_limit(0.01):
        swallowed = False
        while not swallowed:
            try:
                sum(range(10_000))
            except BaseException:  # what a bare except in a library does
                swallowed = True
