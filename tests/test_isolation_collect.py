"""One bad feed fails alone (issue 11): hostile headers and over-long fields, on both stores.

Each scenario is served by the real loopback server beside one good feed; the good feed must
be stored whatever its neighbour did, and the bad one must be recorded (not repeated for
ever because its state was never saved).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from newsletter.collect import collect
from newsletter.config import load_settings
from newsletter.store import SqlStore
from newsletter.store.models import Entry, Feed
from tests.support.clock import Clock
from tests.support.hostile_server import GOOD_RSS, RSS, serve

UTF8_ETAG = '"été"'.encode().decode("latin-1")  # what a server sends as UTF-8 bytes


def _answer(status: int, headers: dict[str, str], body: bytes = b"") -> Callable[..., None]:
    return lambda h: h.reply(status, body, headers)


def _rss_with(title: str = "T", author: str = "a") -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{title}</title><link>https://example.com/</link>"
        f"<item><title>Long</title><guid>https://example.com/long/1</guid>"
        f"<author>{author}</author></item></channel></rss>"
    ).encode()


HOSTILE = {
    "retry-overflow": _answer(503, {"Retry-After": "99999999999999999999"}),
    "retry-superscript": _answer(429, {"Retry-After": "²"}),
    "retry-huge-text": _answer(503, {"Retry-After": "9" * 5000}),
    "retry-year-9999": _answer(503, {"Retry-After": "Fri, 31 Dec 9999 23:59:59 GMT"}),
    "long-title": _answer(200, RSS, _rss_with(title="T" * 5000)),
    "long-author": _answer(200, RSS, _rss_with(author="a" * 5000)),
    "long-etag": _answer(200, {**RSS, "ETag": '"' + "e" * 2000 + '"'}, _rss_with()),
    "long-last-modified": _answer(200, {**RSS, "Last-Modified": "M" * 500}, _rss_with()),
    "utf8-etag": _answer(200, {**RSS, "ETag": UTF8_ETAG}, _rss_with()),
}


def _site(write_config: Callable[[str], Path], base: str, name: str) -> Path:
    return write_config(
        "collect:\n  parse_workers: 1\n  deadline: 5\n"
        f"feeds:\n  - name: bad\n    url: {base}/{name}\n"
        f"  - name: good\n    url: {base}/good\n"
    )


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_one_hostile_feed_never_stops_the_others(
    store: SqlStore, clock: Clock, write_config: Callable[[str], Path], name: str
) -> None:
    routes = {f"/{name}": HOSTILE[name], "/good": _answer(200, RSS, GOOD_RSS)}
    with serve(routes) as base:
        settings = load_settings(_site(write_config, base, name), {})
        report = collect(settings.feeds, settings.collect, store, clock)
        states = {s.name: s for s in store.feed_states()}
        assert store.entry_count() >= 3, "the good feed is stored whatever its neighbour did"
        bad = states["bad"]
        assert bad.last_attempt_at == clock.now, "the hostile feed's state is saved"
        if name.startswith("retry"):
            assert report.count("retry_later") == 1
            assert bad.next_attempt_at is not None
            assert clock.now < bad.next_attempt_at <= clock.now + timedelta(days=7)
        else:
            assert report.count("ok") == 2, report.problems
        if name.endswith("etag") or name.endswith("modified"):
            assert bad.etag is None and bad.last_modified is None
            clock.advance(hours=1)
            collect(settings.feeds, settings.collect, store, clock)
            sent = base.received[f"/{name}"][-1]
            assert "if-none-match" not in sent and "if-modified-since" not in sent


def test_a_stored_unsendable_etag_is_dropped(
    store: SqlStore, clock: Clock, write_config: Callable[[str], Path]
) -> None:
    """A value stored before the edge checked it (an older version) no longer breaks the feed."""
    with serve({"/bad": _answer(200, {**RSS, "ETag": '"ok"'}, GOOD_RSS)}) as base:
        settings = load_settings(
            write_config(
                f"collect:\n  parse_workers: 1\nfeeds:\n  - name: bad\n    url: {base}/bad\n"
            ),
            {},
        )
        store.sync_feeds(settings.feeds, clock())
        with store.engine.begin() as connection:
            connection.execute(update(Feed).values(etag='"été"', last_modified="lundi"))
        report = collect(settings.feeds, settings.collect, store, clock)
        assert report.count("ok") == 1, report.problems
        assert "if-none-match" not in base.received["/bad"][0]
        assert store.feed_states()[0].etag == '"ok"'


def test_over_long_fields_are_cut_to_the_column(
    store: SqlStore, clock: Clock, write_config: Callable[[str], Path]
) -> None:
    routes = {"/bad": HOSTILE["long-author"], "/good": _answer(200, RSS, GOOD_RSS)}
    with serve(routes) as base:
        settings = load_settings(_site(write_config, base, "bad"), {})
        collect(settings.feeds, settings.collect, store, clock)
    with store.engine.connect() as connection:
        author = connection.scalar(select(Entry.author).where(Entry.title == "Long"))
    assert author == "a" * 500


def test_the_edge_and_the_columns_agree_on_validator_widths() -> None:
    from newsletter.sources.validators import ETAG_LIMIT, LAST_MODIFIED_LIMIT
    from newsletter.store.bounds import widths

    assert widths(Feed)["etag"] == ETAG_LIMIT
    assert widths(Feed)["last_modified"] == LAST_MODIFIED_LIMIT


def test_a_redirect_to_a_name_idna_refuses_fails_its_feed_quietly(
    store: SqlStore,
    clock: Clock,
    write_config: Callable[[str], Path],
    caplog: pytest.LogCaptureFixture,
) -> None:
    routes = {
        "/bad": _answer(302, {"Location": "http://xn--a.invalid/"}),
        "/good": _answer(200, RSS, GOOD_RSS),
    }
    with serve(routes) as base:
        settings = load_settings(_site(write_config, base, "bad"), {})
        report = collect(settings.feeds, settings.collect, store, clock)
    [problem] = report.problems
    assert problem.message and problem.message.startswith("cannot make this request")
    assert not [r for r in caplog.records if r.exc_info], "no traceback logged"


def test_an_entry_link_nh3_refuses_as_a_base_is_cleaned_without_one() -> None:
    """Found by the feed fuzz target: nh3 raised ValueError and the feed failed."""
    from newsletter.sources.clean import safe_html

    cleaned = safe_html('<a href="/x">x</a><b>y</b>', "http://xn--a.invalid/")
    assert "href" not in cleaned and "<b>y</b>" in cleaned
