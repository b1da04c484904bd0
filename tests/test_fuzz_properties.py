"""Property tests over the pure decisions and the edges (issue 11), with Hypothesis.

Each property holds for any input: Retry-After, back-off, dates, identity, addresses,
validators, and (on SQLite and PostgreSQL, with few examples) field lengths. Examples per
property: see tests/fuzzing/__init__.py (NEWSLETTER_TEST_FUZZ_EXAMPLES for more).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from hypothesis import example, given
from hypothesis import strategies as st

from newsletter.collect.decide import RETRY_AFTER_CAP, backoff, retry_after, settle_dates
from newsletter.sources.identity import MAX_KEY, entry_key, normalize_link
from newsletter.sources.types import EntryData
from newsletter.sources.validators import ETAG_LIMIT, usable
from newsletter.store import SqlStore
from newsletter.store.bounds import widths
from newsletter.store.entries import EntryKind, EntryStatus, NewEntry
from newsletter.store.models import Entry
from newsletter.subscribers.address import InvalidAddress, normalize_address
from tests.fuzzing import fuzz_settings

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
aware = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
)
header_text = st.text(st.characters(min_codepoint=0, max_codepoint=0x2FFF), max_size=80)


@fuzz_settings(300)
@given(st.one_of(header_text, st.integers(min_value=0).map(str), st.none()))
@example("99999999999999999999")
@example("²")
@example("9" * 5000)
@example("Fri, 31 Dec 9999 23:59:59 GMT")
@example("Mon, 01 Jan 0001 00:00:00 GMT")
def test_retry_after_is_none_or_within_the_cap(value: str | None) -> None:
    when = retry_after(value, NOW)
    assert when is None or NOW <= when <= NOW + RETRY_AFTER_CAP


@fuzz_settings(200)
@given(st.integers(min_value=-(10**30), max_value=10**30))
def test_backoff_is_bounded_and_grows(failures: int) -> None:
    delay = backoff(failures)
    assert timedelta(minutes=15) <= delay <= timedelta(hours=12)
    assert backoff(failures + 1) >= delay


def _entry(published: datetime | None, updated: datetime | None) -> EntryData:
    return EntryData("k", None, None, "t", "", "", None, published, updated)


@fuzz_settings(200)
@given(st.one_of(st.none(), aware), st.one_of(st.none(), aware))
def test_settled_dates_are_never_in_the_future(
    published: datetime | None, updated: datetime | None
) -> None:
    first, last = settle_dates(_entry(published, updated), NOW)
    assert first is None or first <= NOW
    assert last is None or last <= NOW
    assert (first is None) == (published is None and updated is None)


@fuzz_settings(300)
@given(
    st.text(max_size=300),
    st.one_of(st.none(), st.text(max_size=2000)),
    st.one_of(st.none(), st.text(max_size=2000)),
    st.text(max_size=100),
    st.one_of(st.none(), aware),
)
@example("https://f/", "x" * 3000, None, "", None)
@example("https://f/", None, "http://[::1/x", "", None)
@example("https://f/", None, "http://xn--a.invalid/", "", None)
def test_entry_keys_are_bounded_and_stable(
    feed: str, guid: str | None, link: str | None, title: str, date: datetime | None
) -> None:
    key = entry_key(feed, guid, link, title, date)
    assert key == entry_key(feed, guid, link, title, date)
    assert len(key) <= min(MAX_KEY + 80, widths(Entry)["key"] or 0)


@fuzz_settings(300)
@given(st.text(max_size=300))
@example("http://[::1/feed")
@example("http://xn--a.invalid/")
@example("https://例え.jp/a b?utm_source=x#f")
def test_normalize_link_never_raises_and_is_idempotent(url: str) -> None:
    normal = normalize_link(url)
    assert normal is None or normalize_link(normal) == normal


@fuzz_settings(400)
@given(st.one_of(st.emails(), st.text(max_size=300)))
@example("=cmd|'/Ccalc'!A0@example.com")
@example("a@xn--a.invalid")
@example("a@" + "b" * 300 + ".com")
def test_addresses_are_refused_in_one_sentence_or_normalized(raw: str) -> None:
    try:
        address = normalize_address(raw)
    except InvalidAddress as exc:
        assert "\n" not in str(exc) and len(str(exc)) < 300
        return
    assert len(address.email) <= 254 and address.email.isascii()
    assert normalize_address(address.email) == address, "idempotent"


@fuzz_settings(300)
@given(header_text)
@example('"été"')
@example("x" * 5000)
def test_a_kept_validator_can_always_be_sent_back(value: str) -> None:
    kept = usable(value, ETAG_LIMIT)
    if kept is not None:
        kept.encode("ascii")
        assert len(kept) <= ETAG_LIMIT and "\n" not in kept


any_text = st.text(
    st.characters(min_codepoint=0, max_codepoint=0x10FFFF, blacklist_categories=["Cs"])
)


@fuzz_settings(15)
@given(
    title=any_text.filter(lambda t: len(t) < 3000) | st.text(min_size=400, max_size=2000),
    author=st.one_of(st.none(), st.text(min_size=0, max_size=1500)),
    etag=st.one_of(st.none(), st.text(max_size=1500)),
    last_modified=st.one_of(st.none(), st.text(max_size=400)),
)
@example(title="", author=None, etag="\x00", last_modified=None)  # found by a long run
def test_any_field_lengths_are_stored_on_both_databases(
    store: SqlStore, title: str, author: str | None, etag: str | None, last_modified: str | None
) -> None:
    """Runs on SQLite and PostgreSQL: whatever a feed sends, the store takes it."""
    feed_id = _feed(store)
    base = next(s for s in store.feed_states() if s.id == feed_id)
    state = dataclasses.replace(
        base, title=title, etag=etag, last_modified=last_modified, last_error=title
    )
    store.save_feed_state(state)
    entry = NewEntry(
        key=f"guid:{len(title)}:{hash((title, author))}",
        kind=EntryKind.ARTICLE,
        status=EntryStatus.APPROVED,
        title=title,
        content_hash="0" * 64,
        guid=None,
        link=None,
        summary_html=title,
        content_html="",
        author=author,
        published_at=NOW,
        updated_at=None,
    )
    store.save_entries(feed_id, [entry], NOW)
    saved = next(s for s in store.feed_states() if s.id == feed_id)
    assert saved.title is None or saved.title == title.replace("\x00", "")[:500]
    assert saved.etag in (None, etag)


def _feed(store: SqlStore) -> int:
    from newsletter.config import FeedConfig

    [state] = store.sync_feeds(
        [FeedConfig(name="F", kind="articles", key="https://f/", url="https://f/", line=1)], NOW
    )
    return state.id
