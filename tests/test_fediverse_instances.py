"""One post to 2,000 followers on 50 loopback instances, 5 of them down (issue 23): two refuse
connections, one accepts them and never reads, two read the POST and never answer. Half the
instances offer a shared inbox (one POST for their 40 followers), half do not (40 POSTs),
so the run takes several claims. The 45 up instances get the post in the same run, each
follower once; the down ones are named in the report and retried later with backoff, and
an up instance gets nothing twice. SQLite and PostgreSQL; the clock is injected."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from newsletter.fediverse.account import open_account
from newsletter.fediverse.activities import PostContent
from newsletter.fediverse.delivery import BACKOFF, deliver
from newsletter.fediverse.posts import plan
from newsletter.store import SqlStore
from newsletter.store.models import FediverseDelivery
from tests.support.clock import Clock
from tests.support.fediverse import add_followers, fedi_site, signed_by
from tests.support.instances import Instances, serving

pytestmark = pytest.mark.slow  # 50 servers, and the down ones cost a timeout each

START = datetime(2026, 12, 9, 9, 0, tzinfo=UTC)
SERVERS, PER_SERVER = 50, 40
DOWN = {3: "refusing", 17: "refusing", 24: "silent", 31: "hanging", 46: "hanging"}


def waiting_rows(store: SqlStore) -> dict[str, tuple[str, int, datetime]]:
    """Each inbox's row: state, attempts and next attempt."""
    query = select(
        FediverseDelivery.inbox,
        FediverseDelivery.state,
        FediverseDelivery.attempts,
        FediverseDelivery.next_attempt_at,
    )
    with store.engine.connect() as connection:
        return {inbox: (state, n, at) for inbox, state, n, at in connection.execute(query)}


def test_down_instances_never_hold_up_the_others(
    database_url: str, store: SqlStore, tmp_path: Path
) -> None:
    clock = Clock(START)
    settings, _ = fedi_site(tmp_path / "site", database_url)
    account = open_account(settings, store, START)
    # Short deadlines keep the test quick; nothing is asserted about time.
    account = replace(account, bounds=replace(account.bounds, timeout=10, connect_timeout=5))
    behaviours = [DOWN.get(n, "up") for n in range(SERVERS)]
    instances = Instances(behaviours, check=signed_by(account, clock))
    with serving(instances):
        inboxes: list[str] = []
        shared: list[str | None] = []
        expected_up = set()  # where the post must arrive
        for n in range(SERVERS * PER_SERVER):
            server = instances.base(n % SERVERS)
            inboxes.append(f"{server}/users/{n}/inbox")
            shared.append(f"{server}/inbox" if n % SERVERS % 2 == 0 else None)
            if n % SERVERS not in DOWN:
                expected_up.add(shared[-1] or inboxes[-1])
        add_followers(store, inboxes, START, shared)
        post = PostContent("entry:1", "<p>Hill repeats</p>", "https://www.example.com/", START)
        store.publish_activities(plan([post], {}, {}, account.identity, START), START)
        deliveries = len(waiting_rows(store))
        assert deliveries == 25 + 25 * PER_SERVER  # more than two claims of 500

        report = deliver(store, account, clock, "test")

        # Every follower on an up instance has the post, once; none on a down one.
        took = instances.by_inbox()
        assert set(took) == expected_up
        assert max(took.values()) == 1
        assert len({urlsplit(inbox).port for inbox in took}) == SERVERS - len(DOWN)
        # The down ones: reported, and waiting for their retry, none given up.
        down = {instances.base(n) for n in DOWN}
        assert set(report.unreachable) == down, report.summary()
        assert report.failed == 0 and report.dropped == [], report.summary()
        assert report.sent == len(expected_up)
        rows = waiting_rows(store)
        retry = START + BACKOFF[0]
        for inbox, (state, _, at) in rows.items():
            if inbox in expected_up:
                assert state == "sent"
            else:
                assert (state, at) == ("pending", retry), inbox
        assert "5 server(s) unreachable" in report.summary()

        # Not due before the retry; then tried again (still down), and put off longer.
        assert deliver(store, account, clock, "test").sent == 0
        clock.advance(minutes=1)
        again = deliver(store, account, clock, "test")
        assert set(again.unreachable) == down and again.sent == 0
        waiting = [(n, at) for state, n, at in waiting_rows(store).values() if state == "pending"]
        assert len(waiting) == deliveries - len(expected_up)
        assert all(at > clock() for _, at in waiting)
        assert {at - clock() for n, at in waiting if n == 2} == {BACKOFF[1]}  # tried twice
        assert Counter(instances.by_inbox().values()) == {1: len(expected_up)}  # none twice
        assert instances.refused == 0
