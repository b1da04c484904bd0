"""Fuzz targets (issue 11): the config loader and the feed pipeline, fed mutations of the
checked-in corpus (tests/corpus/). Brief in `make test`; `make fuzz` runs them long.

The config target: any bytes as feeds.yaml give Settings or one file:line ConfigError.
The feed target: any body and any response headers go through parsing, the decision and
the store (SQLite and PostgreSQL) without an exception other than ParseError, and what is
stored fits and is inert.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsletter.collect.decide import decide, to_new_entry
from newsletter.config import FeedConfig, load_settings
from newsletter.errors import ConfigError, ParseError
from newsletter.sources.parse import parse_document
from newsletter.sources.types import FetchResult, SourceRequest, SourceResult
from newsletter.sources.validators import ETAG_LIMIT, LAST_MODIFIED_LIMIT, usable
from newsletter.store import SqlStore
from tests.fuzzing import active_markup, fuzz_settings

CORPUS = Path(__file__).parent / "corpus"
CONFIGS = [p.read_bytes() for p in sorted((CORPUS / "config").glob("*.yaml"))]
GOOD_CONFIG = (Path(__file__).parents[1] / "feeds.yaml").read_bytes()
FEEDS = [p.read_bytes() for p in sorted((CORPUS / "feeds").iterdir())]
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)

pytestmark = pytest.mark.fuzz


@st.composite
def mutated(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    """A seed with a few random edits: bytes inserted, cut, replaced or repeated."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, len(data)))
        edit = draw(st.sampled_from(["insert", "cut", "replace", "repeat"]))
        chunk = draw(
            st.binary(max_size=12)
            | st.sampled_from(
                [
                    b"\x00",
                    b"[",
                    b"{",
                    b"&a",
                    b"*a",
                    b"!!python/name:",
                    b"\n  ",
                    b": ",
                    b"- ",
                    b"\xff",
                    b"<",
                    b"]]>",
                    b"&#0;",
                ]
            )
        )
        if edit == "insert":
            data[at:at] = chunk
        elif edit == "cut":
            del data[at : at + draw(st.integers(1, 40))]
        elif edit == "replace":
            data[at : at + len(chunk)] = chunk
        else:
            data[at:at] = bytes(data[at : at + 30]) * draw(st.integers(1, 20))
    return bytes(data)


@fuzz_settings(60)
@given(mutated([GOOD_CONFIG, *CONFIGS]))
def test_fuzz_config_loader(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    folder = tmp_path_factory.mktemp("config")
    path = folder / "feeds.yaml"
    path.write_bytes(data)
    try:
        load_settings(path, {})
    except ConfigError as exc:
        message = str(exc)
        assert message.startswith(str(path)) and "\n" not in message, message
        assert len(message) < 1000, "an error message never renders the tree"


header_value = st.text(st.characters(min_codepoint=1, max_codepoint=0x2FF), max_size=60)


@fuzz_settings(25)
@given(
    body=mutated(FEEDS),
    status=st.sampled_from([200, 200, 200, 304, 410, 429, 503, 500]),
    etag=st.one_of(st.none(), header_value, st.text(min_size=1000, max_size=1100)),
    last_modified=st.one_of(st.none(), header_value),
    retry=st.one_of(st.none(), header_value, st.integers(0, 10**30).map(str)),
)
def test_fuzz_feed_pipeline(
    store: SqlStore,
    body: bytes,
    status: int,
    etag: str | None,
    last_modified: str | None,
    retry: str | None,
) -> None:
    feed = FeedConfig(name="F", kind="articles", key="https://f/", url="https://f/", line=1)
    [state] = store.sync_feeds([feed], NOW)
    request = SourceRequest(feed_id=state.id, key=feed.key, kind="articles", url=feed.url)
    fetched = FetchResult(
        status_code=status,
        final_url=feed.url,
        body=body if status == 200 else None,
        etag=usable(etag, ETAG_LIMIT),
        last_modified=usable(last_modified, LAST_MODIFIED_LIMIT),
        retry_after=retry,
        error=None if status in (200, 304) else f"HTTP {status}",
    )
    parsed = parse_error = None
    if status == 200:
        try:
            parsed = parse_document(body, {}, feed.url, feed.key, time_limit=20)
        except ParseError as exc:
            parse_error = str(exc)
    result = SourceResult(request, fetched, parsed=parsed, parse_error=parse_error)
    decision = decide(state, result, NOW)
    if parsed is not None and decision.outcome == "ok":
        entries = [to_new_entry(e, "articles", NOW) for e in parsed.entries]
        store.save_entries(state.id, entries, NOW)
        for entry in entries:
            assert active_markup(entry.summary_html + entry.content_html) is None, entry
    store.save_feed_state(decision.state)
    saved = store.feed_states()[0]
    assert saved.next_attempt_at is None or saved.next_attempt_at >= NOW


def test_the_inertness_oracle_tells_markup_from_text() -> None:
    assert active_markup('<a href=" JavaScript:alert(1)">x</a>') is not None
    assert active_markup("<p onclick='x'>x</p>") == "<p onclick='x'>"
    assert active_markup("<svg><circle/></svg>") == "<svg>"
    assert active_markup('<p>lt;a href="javascript:alert(1)" onclick="x"&gt;x</p>') is None
