"""Collectors on several machines over one PostgreSQL share each round: every due feed is
fetched once per round, whichever collectors run, and a collector that dies leaves its
feeds to the others once its leases run out. (SQLite has one collector: nothing to share.)"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from newsletter.collect import collect
from newsletter.collect.pipeline import CollectReport
from newsletter.config import load_settings
from newsletter.store import SqlStore
from tests.support.clock import Clock
from tests.support.counting_feeds import CountingFeeds, counting_feeds

pytestmark = pytest.mark.slow
CONCURRENCY = 10


def _postgres_only(store: SqlStore) -> None:
    if store.dialect != "postgresql":
        pytest.skip("rounds and leases are PostgreSQL's; on SQLite one collector runs alone")


def _config(server: CountingFeeds, write_config: Callable[[str], Path], lease: int) -> Path:
    # Read timeout and deadline far above the time the server holds its answers, so that
    # a busy machine's slow start never turns the wait into a failed fetch.
    feeds = "".join(f"  - name: Feed {n}\n    url: {url}\n" for n, url in enumerate(server.urls))
    return write_config(
        f"collect:\n  concurrency: {CONCURRENCY}\n  parse_workers: 1\n  read_timeout: 300\n"
        f"  deadline: 600\n  lease_seconds: {lease}\nfeeds:\n{feeds}"
    )


def _collector(site: Path, database_url: str) -> subprocess.Popen[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("NEWSLETTER_")}
    return subprocess.Popen(
        [sys.executable, "-m", "newsletter", "collect"],
        cwd=site,
        env=environ | {"NEWSLETTER_DATABASE_URL": database_url},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _until(condition: Callable[[], bool], what: str) -> None:
    """Poll the database for a condition the collectors bring about (bounded, generous)."""
    deadline = time.monotonic() + 180
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"still waiting for {what} after 3 minutes")
        time.sleep(0.05)


def _joined(store: SqlStore, collectors: int) -> bool:
    info = store.latest_round()
    return info is not None and info.collectors >= collectors


def _leases(store: SqlStore) -> dict[str, datetime]:
    query = text("SELECT key, lease_until FROM feeds WHERE lease_owner IS NOT NULL")
    with store.engine.connect() as connection:
        return {key: until.replace(tzinfo=UTC) for key, until in connection.execute(query)}


def _feeds_done(store: SqlStore) -> Counter[tuple[int | None, str | None]]:
    query = text("SELECT round_id, lease_owner FROM feeds")
    with store.engine.connect() as connection:
        return Counter((round_id, owner) for round_id, owner in connection.execute(query))


def _paths(server: CountingFeeds) -> Counter[str]:
    return Counter({f"/feed/{n}.xml": 1 for n in range(server.feeds)})


def test_three_collectors_fetch_every_feed_exactly_once(
    store: SqlStore, database_url: str, write_config: Callable[[str], Path]
) -> None:
    _postgres_only(store)
    with counting_feeds(300, hold=True) as server:
        site = _config(server, write_config, lease=180).parent
        collectors = [_collector(site, database_url) for _ in range(3)]
        try:
            # Nobody's fetch ends before all three have joined the round, so none can
            # finish the round alone.
            _until(lambda: _joined(store, 3), "three collectors in the round")
            server.release()
            outputs = [process.communicate(timeout=600) for process in collectors]
        finally:
            for process in collectors:
                process.kill()
                process.communicate()
    for process, (_, err) in zip(collectors, outputs, strict=True):
        assert process.returncode == 0, err
    assert server.counts() == _paths(server)  # each exactly once, none missed
    fetched = [int(re.findall(r"collected (\d+) feed", out)[0]) for out, _ in outputs]
    assert sum(fetched) == 300 and min(fetched) > 0, fetched
    info = store.latest_round()
    assert info is not None and info.finished_at is not None and info.collectors == 3
    assert _feeds_done(store) == Counter({(info.id, None): 300})


def test_a_killed_collectors_feeds_are_fetched_by_another_after_its_lease(
    store: SqlStore, database_url: str, write_config: Callable[[str], Path]
) -> None:
    _postgres_only(store)
    with counting_feeds(60, hold=True) as server:
        config = _config(server, write_config, lease=30)
        victim = _collector(config.parent, database_url)
        try:
            # It leases a batch, fetches it (held: every slot busy), leases one more batch
            # for the slots to come, and can do nothing more: kill it there.
            server.wait_for(CONCURRENCY)
            _until(lambda: len(_leases(store)) == 2 * CONCURRENCY, "the victim's two batches")
            leased = _leases(store)
        finally:
            victim.kill()  # SIGKILL: nothing of ours runs, its leases stay behind
            victim.communicate()
        before = server.counts()
        server.release()
        clock = Clock(datetime.now(UTC))
        settings = load_settings(config, {})
        report = collect(
            settings.feeds, settings.collect, store, clock, sleep=lambda s: clock.advance(seconds=s)
        )
        after = server.counts() - before
    assert sum(before.values()) == CONCURRENCY
    assert after == _paths(server)  # the victim's 20 too, each once, none missed
    # Taken over only once their leases ran out (by the database's clock, read a moment
    # after the test's; both are this machine's).
    assert clock.now + timedelta(seconds=5) >= max(leased.values())
    assert (report.due, report.by_others, len(report.problems)) == (60, 0, 0)
    info = store.latest_round()
    assert info is not None and info.finished_at is not None and info.collectors == 2
    assert _feeds_done(store) == Counter({(info.id, None): 60})


def test_a_collector_stops_waiting_for_one_that_renews_but_never_finishes(
    store: SqlStore, write_config: Callable[[str], Path]
) -> None:
    _postgres_only(store)
    lease = timedelta(seconds=30)
    with counting_feeds(5, hold=False) as server:
        settings = load_settings(_config(server, write_config, lease=30), {})
        clock = Clock(datetime.now(UTC))
        started = clock.now
        ids = [state.id for state in store.sync_feeds(settings.feeds, clock.now)]
        round_id = store.join_round(clock.now, lease)
        assert round_id is not None
        hung = store.claim_feeds(round_id, "hung", ids, clock.now, lease, limit=2)

        def sleep(seconds: float) -> None:  # the hung collector's renewer keeps going
            clock.advance(seconds=seconds)
            store.renew_leases("hung", clock.now + lease)

        report = collect(settings.feeds, settings.collect, store, clock, sleep=sleep)
        counts = server.counts()
    assert report.left_to_others and "stopped waiting" in report.summary()
    assert (report.due, sum(counts.values())) == (3, 3), "the free feeds, each once"
    assert not any(f"/feed/{ids.index(s.id)}.xml" in counts for s in hung)
    assert clock.now - started >= 3 * lease  # it did wait, a few lease times


def _in_thread(run: Callable[[], CollectReport]) -> tuple[threading.Thread, list[CollectReport]]:
    reports: list[CollectReport] = []
    thread = threading.Thread(target=lambda: reports.append(run()), daemon=True)
    thread.start()
    return thread, reports


def test_a_collector_paused_past_its_lease_neither_fetches_nor_records_feeds_taken_over(
    store: SqlStore, write_config: Callable[[str], Path]
) -> None:
    _postgres_only(store)
    lease = timedelta(seconds=30)
    with counting_feeds(2 * CONCURRENCY, hold=True) as server:
        settings = load_settings(_config(server, write_config, lease=30), {})
        clock = Clock(datetime.now(UTC))
        paused, reports = _in_thread(
            lambda: collect(settings.feeds, settings.collect, store, clock)
        )
        try:
            # It fetches a batch (held by the server) and leases the next: then it "pauses".
            server.wait_for(CONCURRENCY)
            _until(lambda: len(_leases(store)) == 2 * CONCURRENCY, "the paused one's batches")
            info = store.latest_round()
            assert info is not None
            # Meanwhile its leases run out, and another collector takes and records them.
            later = store.database_now()
            assert later is not None
            later += lease + timedelta(seconds=1)
            ids = [state.id for state in store.feed_states()]
            taken = store.claim_feeds(info.id, "other", ids, later, lease, limit=100)
            assert len(taken) == 2 * CONCURRENCY
            for state in taken:
                store.save_feed_state(
                    replace(state, etag='"other"', last_success_at=later), info.id
                )
            clock.advance(seconds=lease.total_seconds() + 1)  # it wakes up, a lease later
        finally:
            server.release()
            paused.join(timeout=300)
    assert sum(server.counts().values()) == CONCURRENCY  # not the 10 it no longer held
    states = store.feed_states()
    assert {(s.etag, s.last_success_at, s.consecutive_failures) for s in states} == {
        ('"other"', later, 0)
    }
    (report,) = reports
    assert (report.due, report.by_others, report.lost) == (0, 2 * CONCURRENCY, CONCURRENCY)


def test_collectors_whose_clocks_disagree_by_more_than_a_lease_fetch_each_feed_once(
    store: SqlStore, write_config: Callable[[str], Path]
) -> None:
    _postgres_only(store)
    skew = timedelta(seconds=40)  # more than the 30 s lease, both ways
    with counting_feeds(3 * CONCURRENCY, hold=True) as server:
        settings = load_settings(_config(server, write_config, lease=30), {})
        behind = Clock(datetime.now(UTC) - skew)
        ahead = Clock(datetime.now(UTC) + skew)
        first, first_reports = _in_thread(
            lambda: collect(settings.feeds, settings.collect, store, behind)
        )
        try:
            server.wait_for(CONCURRENCY)
            _until(lambda: len(_leases(store)) == 2 * CONCURRENCY, "the first one's batches")
            # To the one ahead, the first one's leases ran out 50 s ago by its own clock.
            second, second_reports = _in_thread(
                lambda: collect(settings.feeds, settings.collect, store, ahead)
            )
            server.wait_for(2 * CONCURRENCY)
        finally:
            server.release()
        first.join(timeout=300)
        second.join(timeout=300)
    assert server.counts() == _paths(server)  # each exactly once
    fetched = [report.due for report in first_reports + second_reports]
    assert sum(fetched) == 3 * CONCURRENCY and min(fetched) > 0, fetched
