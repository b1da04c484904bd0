"""read_feeds() against a real loopback server that misbehaves in every way we know of."""

from __future__ import annotations

import asyncio
import dataclasses
import multiprocessing
import os
import re
import resource
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from newsletter.errors import ConfigError, ParseError
from newsletter.sources import Limits, SourceRequest, SourceResult
from newsletter.sources.pool import ParsePool
from newsletter.sources.read import read_feeds
from tests.support.hostile_server import (
    GOOD_ETAG,
    GOOD_LAST_MODIFIED,
    GOOD_RSS,
    LIMITS,
    ROUTES,
    SCENARIOS,
    serve,
)

# Every scenario in one read_feeds(): the slowest are cut at the 5 s deadline, the rest are quick
# (about 3 s in all on a quiet machine). The slow scenarios never end by themselves, so any
# finite bound shows they were cut; this one leaves room for a machine with both cores busy.
ALL_WITHIN_SECONDS = 60.0
# Room for a busy machine on top of a fetch's deadline and a parse's.
SLACK_SECONDS = 30.0
# The parent holds at most `concurrency` bodies of at most 4 MiB, plus the interpreter's churn.
RSS_GROWTH_LIMIT_MIB = 100
ACTIVE = re.compile(
    r"<script|<style|<iframe|<form|<input|<object|<embed|<meta|<svg|<link|\son\w+\s*="
    r"|javascript:|vbscript:|data:",
    re.I,
)
CLOSED = "http://127.0.0.1:1/feed"  # nothing listens on port 1
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def request(
    base: str,
    path: str,
    feed_id: int = 0,
    etag: str | None = None,
    last_modified: str | None = None,
    content_hash: str | None = None,
) -> SourceRequest:
    return SourceRequest(
        feed_id=feed_id,
        key=path,
        kind="articles",
        url=base + path,
        etag=etag,
        last_modified=last_modified,
        content_hash=content_hash,
    )


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


@dataclass(frozen=True)
class Run:
    results: dict[str, SourceResult]
    seconds: float
    rss_growth_mib: float
    base: str


@pytest.fixture(scope="module")
def everything() -> Iterator[Run]:
    """One read_feeds() over every scenario; the tests below read its results."""
    with serve(ROUTES) as base:
        requests = [request(base, path, n) for n, path in enumerate(SCENARIOS)]
        before = peak_rss_mib()
        started = time.monotonic()
        results = {r.request.key: r for r in read_feeds(requests, LIMITS)}
        seconds = time.monotonic() - started
        yield Run(results, seconds, peak_rss_mib() - before, base)


def test_all_scenarios_finish_in_bounded_time_and_memory(everything: Run) -> None:
    assert set(everything.results) == set(SCENARIOS)
    assert everything.seconds < ALL_WITHIN_SECONDS
    assert everything.rss_growth_mib < RSS_GROWTH_LIMIT_MIB


@pytest.mark.parametrize("path", SCENARIOS)
def test_each_scenario_has_its_expected_outcome(everything: Run, path: str) -> None:
    result, expect = everything.results[path], SCENARIOS[path].expect
    assert result.fetch.status_code == expect.status
    if expect.error:
        assert result.fetch.error is not None and expect.error in result.fetch.error
    else:
        assert result.fetch.error is None
    if expect.parse_error:
        assert result.parse_error is not None and expect.parse_error in result.parse_error
        assert result.parsed is None
    if expect.entries is not None:
        assert result.parse_error is None
        assert result.parsed is not None and len(result.parsed.entries) == expect.entries
        assert (result.parsed.warning is not None) == expect.warning
    assert (result.fetch.permanent_url is not None) == expect.permanent
    assert result.fetch.retry_after == expect.retry_after
    assert 0 < result.elapsed < 2 * LIMITS.deadline + SLACK_SECONDS
    if expect.error and "timed out" in expect.error:
        assert result.elapsed >= LIMITS.deadline  # a lower bound holds however busy we are


def test_error_sentences_name_the_limit(everything: Run) -> None:
    error = {path: r.fetch.error for path, r in everything.results.items()}
    assert error["/tarpit"] == "timed out after 5 s"
    assert error["/trickled-headers"] == "timed out after 5 s"
    assert error["/silent"] == "the server sent nothing for 1 s"
    assert error["/endless"] == "response larger than 2 MiB"
    assert error["/gzip-bomb"] == "response larger than 4 MiB once decompressed"
    assert error["/loop-a"] == "too many redirects (more than 5)"
    assert error["/redirect-to-file"] is not None
    assert error["/redirect-to-file"].startswith("unsupported URL scheme")


def test_redirects(everything: Run) -> None:
    results = everything.results
    assert results["/moved-301"].fetch.permanent_url == everything.base + "/good.rss"
    assert results["/moved-308"].fetch.permanent_url == everything.base + "/good.atom"
    assert results["/moved-302"].fetch.final_url == everything.base + "/good.rss"
    assert results["/moved-302"].fetch.permanent_url is None
    # Its body is endless: following the redirect must not read it.
    assert results["/redirect-with-endless-body"].fetch.final_url == everything.base + "/good.rss"


def test_validators_and_headers_are_returned(everything: Run) -> None:
    fetched = everything.results["/good.rss"].fetch
    assert (fetched.etag, fetched.last_modified) == (GOOD_ETAG, GOOD_LAST_MODIFIED)
    assert fetched.headers["content-type"] == "application/rss+xml; charset=utf-8"
    assert everything.results["/good.rss"].body_hash is not None


def test_nothing_active_or_unencodable_survives(everything: Run) -> None:
    entries = [e for r in everything.results.values() if r.parsed for e in r.parsed.entries]
    assert len(entries) > 20
    for entry in entries:
        assert not ACTIVE.search(entry.summary_html + entry.content_html), entry.key
        texts = [entry.title, entry.summary_html, entry.content_html, entry.key, entry.link or ""]
        assert not NOT_XML.search("".join(texts)), entry.key


def test_the_same_article_in_two_feeds_has_one_key(everything: Run) -> None:
    original = everything.results["/good.rss"].parsed
    crosspost = everything.results["/crosspost.rss"].parsed
    assert original is not None and crosspost is not None
    assert original.entries[0].key == crosspost.entries[0].key


def test_charset_and_control_characters(everything: Run) -> None:
    cafe = everything.results["/cp1252.rss"].parsed
    controls = everything.results["/control-chars.rss"].parsed
    assert cafe is not None and cafe.entries[0].title == "Café “quoted”"
    assert controls is not None and controls.entries[0].title == "Null and verticaltab"


def test_we_name_ourselves_and_ask_only_for_what_we_can_inflate() -> None:
    with serve(ROUTES) as base:
        list(read_feeds([request(base, "/good.rss")], LIMITS))
        (headers,) = base.received["/good.rss"]
    assert headers["user-agent"] == LIMITS.user_agent
    assert headers["accept-encoding"] == "gzip, deflate"
    assert "if-none-match" not in headers


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "ALL_PROXY"])
def test_the_proxy_variables_are_honoured(monkeypatch: pytest.MonkeyPatch, variable: str) -> None:
    # The loopback server plays the proxy: it gets the absolute URL of a host that does not
    # exist, and answers by the path; NO_PROXY sends the other feed straight to the server.
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    with serve(ROUTES) as base:
        monkeypatch.setenv(variable, base)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        requests = [
            SourceRequest(
                feed_id=1, key="proxied", kind="articles", url="http://feed.invalid/good.rss"
            ),
            SourceRequest(feed_id=2, key="direct", kind="articles", url=base + "/good.atom"),
        ]
        results = {r.request.key: r for r in read_feeds(requests, LIMITS)}
        (proxied,) = base.received["/good.rss"]
    assert proxied["host"] == "feed.invalid"
    for result in results.values():
        assert result.fetch.error is None and result.parsed is not None, result.fetch


def test_unchanged_feeds_are_not_parsed_again() -> None:
    with serve(ROUTES) as base:
        first = {r.request.key: r for r in read_feeds(feeds(base), LIMITS)}
        again = [
            request(
                base,
                path,
                etag=first[path].fetch.etag,
                last_modified=first[path].fetch.last_modified,
                content_hash=first[path].body_hash,
            )
            for path in first
        ]
        second = {r.request.key: r for r in read_feeds(again, LIMITS)}
        rss_headers = base.received["/good.rss"][-1]
        atom_headers = base.received["/good.atom"][-1]
    not_modified, same_body = second["/good.rss"], second["/good.atom"]
    assert rss_headers["if-none-match"] == GOOD_ETAG  # sent back verbatim
    assert rss_headers["if-modified-since"] == GOOD_LAST_MODIFIED
    assert atom_headers["if-modified-since"] == GOOD_LAST_MODIFIED
    assert (not_modified.fetch.status_code, not_modified.unchanged) == (304, True)
    assert not_modified.fetch.body is None and not_modified.parsed is None
    assert (same_body.fetch.status_code, same_body.unchanged) == (200, True)
    assert same_body.parsed is None
    assert same_body.body_hash == first["/good.atom"].body_hash


def feeds(base: str) -> list[SourceRequest]:
    return [request(base, "/good.rss", 1), request(base, "/good.atom", 2)]


def test_local_files_are_read_not_fetched(tmp_path: Path) -> None:
    (tmp_path / "feed.xml").write_bytes(GOOD_RSS)
    requests = [
        SourceRequest(feed_id=1, key="here", kind="questions", path=tmp_path / "feed.xml"),
        SourceRequest(feed_id=2, key="gone", kind="articles", path=tmp_path / "gone.xml"),
        SourceRequest(feed_id=3, key="nothing", kind="articles"),
    ]
    results = {r.request.key: r for r in read_feeds(requests, LIMITS)}
    here = results["here"]
    assert here.fetch.status_code == 200 and here.parsed is not None
    assert len(here.parsed.entries) == 3
    assert results["gone"].fetch.error == f"{tmp_path / 'gone.xml'} does not exist"
    assert results["nothing"].fetch.error == "the feed has neither a URL nor a path"


def test_requests_that_cannot_be_made_are_reported() -> None:
    requests = [
        SourceRequest(feed_id=1, key="etag", kind="articles", url=CLOSED, etag="café"),
        SourceRequest(feed_id=2, key="ftp", kind="articles", url="ftp://e.example/feed"),
        SourceRequest(feed_id=3, key="refused", kind="articles", url=CLOSED),
    ]
    errors = {r.request.key: r.fetch.error or "" for r in read_feeds(requests, LIMITS)}
    # An unsendable stored ETag is dropped, not sent (issue 11): the request is made.
    assert errors["etag"].startswith("could not connect")
    assert errors["ftp"].startswith("unsupported URL scheme")
    assert errors["refused"].startswith("could not connect")
    # Said as a person reads it, not as aiohttp does (issue 19, item 8): no "ssl:default
    # [Connect call failed ('127.0.0.1', 9)]" for an http:// URL.
    port = CLOSED.split(":")[2].split("/")[0]
    assert errors["refused"] == f"could not connect to 127.0.0.1:{port} (connection refused)"


def test_a_certificate_file_that_cannot_be_read_is_one_config_sentence(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "gone.pem"))
    request = SourceRequest(feed_id=1, key="tls", kind="articles", url=CLOSED)
    with pytest.raises(ConfigError, match=r"^SSL_CERT_FILE=.*gone\.pem gives no certificates"):
        list(read_feeds([request], LIMITS))


def test_no_requests_no_results() -> None:
    assert list(read_feeds([], LIMITS)) == []


def test_stopping_early_releases_everything() -> None:
    # The slow feeds would hold out for a minute: stopping must not wait for them.
    patient = dataclasses.replace(LIMITS, read_timeout=60, deadline=60)
    slow_and_fast = ["/tarpit", "/silent", "/trickled-headers", "/good.rss"]
    with serve(ROUTES) as base:
        started = time.monotonic()
        keys = []
        for result in read_feeds([request(base, path) for path in slow_and_fast], patient):
            keys.append(result.request.key)
            break  # the generator is closed here: its finally cancels and cleans up
        stopped_after = time.monotonic() - started
    assert keys == ["/good.rss"]
    assert stopped_after < patient.deadline / 2, "stopping does not wait for the slow feeds"
    assert not [t for t in threading.enumerate() if t.name == "newsletter-sources"]
    assert multiprocessing.active_children() == []


def test_a_dead_parser_process_is_replaced() -> None:
    async def scenario(pool: ParsePool) -> None:
        victim = await pool.run(os.getpid)
        os.kill(victim, signal.SIGKILL)
        with pytest.raises(ParseError, match=r"^the parser process died \(memory limit\?\)$"):
            await pool.parse(GOOD_RSS, {}, "https://e.example/feed", "k")
        parsed = await pool.parse(GOOD_RSS, {}, "https://e.example/feed", "k")
        assert len(parsed.entries) == 3
        assert await pool.run(os.getpid) != victim

    pool = ParsePool(Limits(parse_workers=1))
    try:
        asyncio.run(scenario(pool))
    finally:
        pool.close()


def test_parser_processes_run_under_a_memory_limit() -> None:
    pool = ParsePool(Limits(parse_workers=1, parse_memory_mb=300))
    try:
        soft, _hard = asyncio.run(pool.run(resource.getrlimit, resource.RLIMIT_AS))
    finally:
        pool.close()
    assert soft == 300 << 20
