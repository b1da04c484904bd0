"""Acceptance for collecting: one `newsletter collect` over every misbehaviour we know of.

The real command runs in a subprocess against the real loopback server of
tests/support/hostile_server.py, on SQLite and on PostgreSQL. Bound stated here: the whole collect
(35 feeds, 5 s deadline each, 10 at once) finishes within 100 s (typically ~6 s; the slow
feeds never end by themselves, and the room is for a machine with both cores busy) and the
collecting process stays under 300 MiB of peak RSS; parse workers are capped at 512 MiB each.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, Row, select

from newsletter.sources import SourceRequest
from newsletter.sources.read import read_feeds
from newsletter.store.models import Entry, Feed
from tests.support.hostile_server import LIMITS, SCENARIOS, serve

pytestmark = pytest.mark.slow  # the real command in subprocesses

BOUND_SECONDS = 100
PEAK_RSS_MIB = 300
ACTIVE = re.compile(
    r"<script|<style|<iframe|<form|<input|<object|<embed|<meta|<svg|\bon[a-z]+\s*=|"
    r"javascript:|data:|vbscript:",
    re.IGNORECASE,
)


def write_site(site: Path, base: str) -> None:
    feeds = "".join(f"  - name: {path}\n    url: {base}{path}\n" for path in SCENARIOS)
    site.joinpath("feeds.yaml").write_text(
        "site:\n  title: Hostile\n  url: https://www.example.com/\n"
        "newsletter:\n  from: Best Running Tips <news@example.com>\n"
        "collect:\n  concurrency: 10\n  connect_timeout: 1\n  read_timeout: 1\n"
        "  deadline: 5\n  max_bytes: 2097152\n  max_decoded_bytes: 4194304\n"
        "  parse_workers: 2\n  parse_memory_mb: 512\n"
        f"feeds:\n{feeds}"
    )


MEASURE = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:]).returncode\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "print(f'peak-kib {peak}', flush=True)\n"
    "sys.exit(code)\n"
)


def run_collect(
    site: Path, database_url: str, command: str = "collect"
) -> tuple[int, str, float, float]:
    """Run `newsletter collect`; return exit status, output, seconds, peak RSS in MiB."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSLETTER_")}
    env["NEWSLETTER_DATABASE_URL"] = database_url
    started = time.monotonic()
    # Started from a small Python that reports its child's peak: the collect's own memory,
    # whatever this test process has grown to (a fork counts the parent's pages until exec,
    # and RUSAGE_CHILDREN would be the largest child this process ever had).
    measured = subprocess.run(
        [sys.executable, "-c", MEASURE, sys.executable, "-m", "newsletter", *command.split()],
        cwd=site,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    seconds = time.monotonic() - started
    output, _, peak_line = measured.stdout.rpartition("peak-kib ")
    return measured.returncode, output + measured.stderr, seconds, int(peak_line) / 1024


def expected_keys(base: str) -> set[str]:
    """Every entry the sources layer yields for the good scenarios, collected directly."""
    requests = [
        SourceRequest(feed_id=n, key=base + path, kind="articles", url=base + path)
        for n, path in enumerate(SCENARIOS)
    ]
    return {
        entry.key
        for result in read_feeds(requests, LIMITS)
        if result.parsed is not None
        for entry in result.parsed.entries
    }


def test_one_collect_over_every_hostile_feed(
    tmp_path: Path, database_url: str, engines: Callable[[str], Engine]
) -> None:
    with serve({path: s.respond for path, s in SCENARIOS.items()}) as base:
        write_site(tmp_path, base)
        # A server database is migrated on purpose, never behind the owner's back.
        assert run_collect(tmp_path, database_url, "db upgrade")[0] == 0
        status, stdout, seconds, peak_mib = run_collect(tmp_path, database_url)
        assert status == 0, stdout
        assert seconds < BOUND_SECONDS, f"collect took {seconds:.1f} s"
        assert peak_mib < PEAK_RSS_MIB, f"peak RSS {peak_mib:.0f} MiB"
        wanted = expected_keys(base)

        engine = engines(database_url)
        with engine.connect() as connection:
            feeds = {row.name: row for row in connection.execute(select(Feed))}
            entries = connection.execute(select(Entry)).all()
        assert_failures_recorded(feeds)
        assert {e.key for e in entries} == wanted, "every good entry is stored, once"
        assert len(wanted) >= 10
        for entry in entries:
            assert not ACTIVE.search(entry.summary_html + entry.content_html + entry.title)
            assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]", entry.title)
        assert any("Café" in e.title for e in entries), "cp1252 declared as UTF-8"

        # A second collect: good feeds answer 304 to our validators; nothing new is stored.
        before = len(base.received["/good.rss"])
        status, stdout, _, _ = run_collect(tmp_path, database_url)
        assert status == 0
        second = base.received["/good.rss"][before:]
        assert second and all("if-none-match" in h for h in second), second
        assert " 0 new and 0 updated entries" in stdout
        with engine.connect() as connection:
            assert len(connection.execute(select(Entry.id)).all()) == len(entries)


def assert_failures_recorded(feeds: dict[str, Row[Any]]) -> None:
    for path, scenario in SCENARIOS.items():
        feed, expect = feeds[path], scenario.expect
        if expect.entries is not None:
            assert feed.last_success_at is not None and feed.last_error is None, path
            assert bool(feed.last_warning) == expect.warning, path
            continue
        wanted = expect.error or expect.parse_error or ""
        assert feed.last_error and wanted in feed.last_error, (path, feed.last_error)
        assert feed.consecutive_failures == 1, path
        if expect.status == 410:
            assert feed.gone_at is not None and feed.next_attempt_at is None
        else:
            assert feed.next_attempt_at is not None, path
