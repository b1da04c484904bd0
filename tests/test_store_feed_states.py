"""Writing many feeds' states at once (an unchanged rerun's 304s), on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from newsletter.store import SqlStore
from tests.support.feeds import url_feeds

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
FEEDS = url_feeds(5)


def test_many_feed_states_are_written_together_and_only_those(store: SqlStore) -> None:
    states = store.sync_feeds(FEEDS, NOW)
    later = NOW + timedelta(minutes=10)
    changed = [
        dataclasses.replace(s, etag=f'"v{s.id}"', last_success_at=later, consecutive_failures=0)
        for s in states[:3]
    ]
    store.save_feed_states(changed)
    store.save_feed_states([])  # nothing to write is not an error
    again = store.sync_feeds(FEEDS, later)
    assert [s.etag for s in again] == [f'"v{s.id}"' for s in states[:3]] + [None, None]
    assert [s.last_success_at for s in again] == [later] * 3 + [states[3].last_success_at] * 2
    assert again[:3] == changed
