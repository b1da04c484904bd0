"""The collect pipeline over the bundled sample feeds, on SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import select

from newsletter.collect import FeedOutcome, collect
from newsletter.collect.pipeline import Quiet
from newsletter.config import load_settings
from newsletter.store import SqlStore
from newsletter.store.entries import EntryKind
from newsletter.store.models import Entry
from tests.support.clock import Clock

ROOT = Path(__file__).parents[1]


def bundled_site(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "feeds.yaml", tmp_path / "feeds.yaml")
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    return tmp_path / "feeds.yaml"


class Seen(Quiet):
    """Collect's progress, kept: the outcome of each feed."""

    def __init__(self) -> None:
        self.outcomes: list[FeedOutcome] = []

    def feed(self, outcome: FeedOutcome) -> None:
        self.outcomes.append(outcome)


def test_bundled_feeds_are_collected_once(store: SqlStore, clock: Clock, tmp_path: Path) -> None:
    settings = load_settings(bundled_site(tmp_path), {})
    seen = Seen()
    report = collect(settings.feeds, settings.collect, store, clock, seen)
    assert report.due == 4 and not report.problems
    assert {o.name for o in seen.outcomes} == {f.name for f in settings.feeds}
    # 8 + 6 + 5 articles, one of them in two feeds; 8 questions
    assert store.entry_count(EntryKind.ARTICLE) == 18
    assert store.entry_count(EntryKind.QUESTION) == 8
    assert report.new == 26 and report.updated == 0

    clock.advance(minutes=10)
    again = collect(settings.feeds, settings.collect, store, clock)
    assert again.new == 0 and again.updated == 0
    assert again.count("not_modified") == 4, "an unchanged file is not parsed again"


def test_collected_entries_are_clean_and_absolute(
    store: SqlStore, clock: Clock, tmp_path: Path
) -> None:
    settings = load_settings(bundled_site(tmp_path), {})
    collect(settings.feeds, settings.collect, store, clock)
    with store.engine.connect() as connection:
        rows = connection.execute(select(Entry)).all()
    html = " ".join(r.summary_html + r.content_html for r in rows)
    assert 'href="/' not in html, "relative links are resolved"
    assert "<script" not in html
    stretches = next(r for r in rows if "Cool-Down" in r.title)
    assert "https://www.example.com/running-stretches.html" in stretches.content_html
    questions = [r for r in rows if r.kind == "question"]
    assert all(q.status == "approved" for q in questions)
    fueling = next(r for r in rows if r.title.startswith("Fueling at Aid Stations"))
    assert fueling.guid is None and fueling.key.startswith("link:")


def test_an_edited_entry_is_updated_in_place(store: SqlStore, clock: Clock, tmp_path: Path) -> None:
    config = bundled_site(tmp_path)
    settings = load_settings(config, {})
    collect(settings.feeds, settings.collect, store, clock)
    first_seen = clock.now
    feed = tmp_path / "examples" / "feeds" / "marathon.xml"
    feed.write_text(feed.read_text().replace("Taper", "Tapering", 1))
    clock.advance(days=1)
    report = collect(settings.feeds, settings.collect, store, clock)
    assert (report.new, report.updated) == (0, 1)
    with store.engine.connect() as connection:
        row = connection.execute(select(Entry).where(Entry.title.like("%Tapering%"))).one()
    assert row.first_seen_at.replace(tzinfo=None) == first_seen.replace(tzinfo=None)
    assert row.changed_at.replace(tzinfo=None) == clock.now.replace(tzinfo=None)
