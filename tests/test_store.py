"""The store on a real SQLite file and on the real PostgreSQL (each test runs on both)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from newsletter.config import FeedConfig
from newsletter.errors import SchemaOutdated
from newsletter.store import NewEntry, SqlStore
from newsletter.store.engine import current_revision, ensure_schema, head_revision, make_engine
from newsletter.store.entries import EntryKind, EntryStatus
from newsletter.store.models import Base
from newsletter.store.runs import RunCommand

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
FEEDS = (
    FeedConfig(
        name="Training", kind="articles", key="https://a.example/feed", url="https://a.example/feed"
    ),
    FeedConfig(name="Questions", kind="questions", key="path:q.xml", path=Path("/site/q.xml")),
)


def entry(key: str, title: str = "Tempo runs", **changes: object) -> NewEntry:
    base = NewEntry(
        key=key,
        kind=EntryKind.ARTICLE,
        status=EntryStatus.APPROVED,
        title=title,
        content_hash=f"h-{title}",
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_migrations_match_the_models(store: SqlStore) -> None:
    assert current_revision(store.engine) == head_revision()
    with store.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []
    tables = set(inspect(store.engine).get_table_names())
    assert {"feeds", "entries", "exercises", "featured_exercises", "subscribers"} <= tables
    assert {"digests", "digest_items", "deliveries", "runs"} <= tables


def test_sync_feeds_creates_once_and_keeps_state(store: SqlStore) -> None:
    first = store.sync_feeds(FEEDS, NOW)
    assert [f.name for f in first] == ["Training", "Questions"]
    assert first[1].path == "/site/q.xml" and first[1].url is None
    store.save_feed_state(dataclasses.replace(first[0], etag='"v1"', url="https://b.example/feed"))
    renamed = (dataclasses.replace(FEEDS[0], name="Running Training"),)
    again = store.sync_feeds(renamed, NOW)
    assert len(again) == 1 and again[0].id == first[0].id
    assert again[0].name == "Running Training"
    assert again[0].etag == '"v1"'
    assert again[0].url == "https://b.example/feed", "a permanent redirect survives a sync"
    assert len(store.feed_states()) == 2, "an unconfigured feed keeps its row"


def test_save_entries_new_edited_and_unchanged(store: SqlStore) -> None:
    feed = store.sync_feeds(FEEDS, NOW)[0]
    counts = store.save_entries(feed.id, [entry("guid:1"), entry("guid:2")], NOW)
    assert (counts.new, counts.updated, counts.unchanged) == (2, 0, 0)
    later = NOW + timedelta(hours=1)
    counts = store.save_entries(
        feed.id, [entry("guid:1"), entry("guid:2", title="Tempo runs, revised")], later
    )
    assert (counts.new, counts.updated, counts.unchanged) == (0, 1, 1)
    assert store.entry_count() == 2 and store.entry_count(EntryKind.ARTICLE) == 2


def test_an_edit_keeps_first_seen_and_an_undated_entry_its_date(store: SqlStore) -> None:
    from sqlalchemy import select

    from newsletter.store.models import Entry

    store.save_entries(None, [entry("link:x")], NOW)
    store.save_entries(None, [entry("link:x", title="Edited")], NOW + timedelta(days=2))
    with store.engine.connect() as connection:
        row = connection.execute(select(Entry).where(Entry.key == "link:x")).one()
    assert row.title == "Edited"
    assert row.first_seen_at.replace(tzinfo=UTC) == NOW
    assert row.published_at.replace(tzinfo=UTC) == NOW, "undated: first-seen time, kept"


def test_the_same_key_from_two_feeds_is_stored_once(store: SqlStore) -> None:
    a, b = store.sync_feeds(FEEDS, NOW)
    store.save_entries(a.id, [entry("guid:https://x/1")], NOW)
    counts = store.save_entries(b.id, [entry("guid:https://x/1")], NOW)
    assert counts.new == 0 and store.entry_count() == 1
    other_form = entry("guid:https://x/1", title="Tempo runs (syndicated)")
    counts = store.save_entries(b.id, [other_form], NOW)
    assert (counts.updated, counts.unchanged) == (0, 1), "only the first feed edits it"
    assert store.save_entries(a.id, [other_form], NOW).updated == 1


def test_many_entries_in_chunks(store: SqlStore) -> None:
    entries = [entry(f"guid:{i}", title=f"t{i}") for i in range(1200)]
    assert store.save_entries(None, entries, NOW).new == 1200
    assert store.save_entries(None, entries, NOW).unchanged == 1200


def test_times_come_back_aware_utc(store: SqlStore) -> None:
    feed = store.sync_feeds(FEEDS, NOW)[0]
    store.save_feed_state(dataclasses.replace(feed, last_success_at=NOW))
    assert store.feed_states()[0].last_success_at == NOW
    with pytest.raises(Exception, match="naive datetime"):
        store.save_feed_state(dataclasses.replace(feed, last_success_at=NOW.replace(tzinfo=None)))


def test_runs_are_recorded(store: SqlStore) -> None:
    assert store.last_run() is None
    run_id = store.start_run(RunCommand.COLLECT, NOW)
    store.finish_run(run_id, NOW + timedelta(seconds=3), {"collect": {"new": 4}})
    run = store.last_run()
    assert run is not None and run.command == "collect"
    assert run.finished_at == NOW + timedelta(seconds=3)
    assert run.report == {"collect": {"new": 4}}


def test_a_server_database_is_not_migrated_behind_our_back(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with pytest.raises(SchemaOutdated, match="run `newsletter db upgrade`"):
            ensure_schema(engine, auto_upgrade=False)
        ensure_schema(engine, auto_upgrade=True)
        assert current_revision(engine) == head_revision()
        ensure_schema(engine, auto_upgrade=False)  # at head: nothing to say
    finally:
        engine.dispose()


def test_sqlite_runs_in_wal_mode(tmp_path: Path, engines: Callable[[str], Engine]) -> None:
    engine = engines(f"sqlite:///{tmp_path}/sub/dir/x.sqlite3")
    with engine.connect() as connection:
        mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
        timeout = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
    assert mode == "wal" and timeout == 30000


def test_new_counts_only_rows_really_inserted(store: SqlStore) -> None:
    """Another collector may store an entry between our look and our insert: ON CONFLICT
    DO NOTHING skips it, and the count must say so (an executemany's rowcount does not)."""
    from newsletter.store.entries import _insert

    with store._session() as session:
        assert _insert(session, None, [entry("guid:a")], NOW) == 1
    with store._session() as session:
        assert _insert(session, None, [entry("guid:a"), entry("guid:b")], NOW) == 1
    assert store.entry_count() == 2
