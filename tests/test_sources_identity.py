"""Entry identity: one article, one key, whichever feed carries it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from newsletter.sources.identity import MAX_KEY, entry_key, normalize_link

FEED = "https://blog.example/feed.xml"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://Example.COM:443/Path?b=2&a=1#frag", "https://example.com/Path?b=2&a=1"),
        ("http://example.com:80", "http://example.com/"),
        ("http://example.com:8080/x", "http://example.com:8080/x"),
        (
            "https://e.example/p?utm_source=rss&id=7&UTM_Medium=x&utm_campaign",
            "https://e.example/p?id=7",
        ),
        ("https://user:pw@e.example/p", "https://e.example/p"),
        ("http://[::1]:8000/p", "http://[::1]:8000/p"),
        ("ftp://e.example/p", None),
        ("mailto:a@b.example", None),
        ("/relative", None),
        ("http://e.example:99999/", None),
    ],
)
def test_normalize_link(url: str, expected: str | None) -> None:
    assert normalize_link(url) == expected


@pytest.mark.parametrize(
    "guid",
    [
        "https://e.example/p/1",
        "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a",
        "tag:e.example,2025:1",
    ],
)
def test_a_global_guid_is_its_own_key(guid: str) -> None:
    assert entry_key(FEED, guid, None, "t", None) == f"guid:{guid}"


@pytest.mark.parametrize("guid", ["123", "post-42", "post:42", "c:"])
def test_a_local_guid_is_scoped_to_its_feed(guid: str) -> None:
    assert entry_key(FEED, guid, None, "t", None) == f"guid:{FEED}#{guid}"
    assert entry_key("other", guid, None, "t", None) != entry_key(FEED, guid, None, "t", None)


def test_the_same_permalink_guid_in_two_feeds_gives_one_key() -> None:
    a = entry_key(FEED, "https://e.example/p/1", None, "Post", None)
    b = entry_key("planet", "https://E.example:443/p/1?utm_source=planet", None, "Re: Post", None)
    assert a == b


def test_a_guid_keeps_its_fragment() -> None:
    one = entry_key(FEED, "https://e.example/page#post-1", None, "", None)
    two = entry_key(FEED, "https://e.example/page#post-2", None, "", None)
    assert one != two


def test_without_a_guid_the_normalized_link_is_the_key() -> None:
    key = entry_key(FEED, None, "https://E.example/p?utm_medium=rss#top", "t", None)
    assert key == "link:https://e.example/p"
    assert entry_key("other feed", None, "https://e.example/p", "other title", None) == key


def test_without_guid_or_link_title_and_date_make_the_key() -> None:
    date = datetime(2025, 1, 6, tzinfo=UTC)
    key = entry_key(FEED, None, None, "Title", date)
    assert key.startswith("hash:")
    assert len(key) == len("hash:") + 64
    assert key == entry_key(FEED, None, None, "Title", date)
    assert key != entry_key(FEED, None, None, "Title", None)
    assert key != entry_key("other", None, None, "Title", date)


def test_long_keys_are_hashed() -> None:
    long_guid = "https://e.example/" + "x" * 600
    key = entry_key(FEED, long_guid, None, "", None)
    assert key.startswith("guid-sha256:")
    assert len(key) <= MAX_KEY
    long_link = entry_key(FEED, None, long_guid, "", None)
    assert long_link.startswith("link-sha256:")
    assert entry_key("f" * 600, "1", None, "", None).startswith("guid-sha256:")
