"""Building, recording and previewing digests on a real SQLite file and PostgreSQL."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine

from newsletter.config import load_settings
from newsletter.digest import build_digest, build_due_digest, preview_digest
from newsletter.digest.compose import NOTHING_NEW, UNSUBSCRIBE_PLACEHOLDER, web_copy
from newsletter.mail.message import CLIP_BYTES
from newsletter.mail.size import digest_size
from newsletter.store import SqlStore
from newsletter.store.digests import CandidateWindow, DigestDraft
from tests.support.digest import (
    BASE_URL,
    SEND_W47,
    SEND_W48,
    add,
    article,
    question,
    site_settings,
)


def titles(store: SqlStore, week: str) -> list[str]:
    digest = store.built_digest(week)
    assert digest is not None
    return [line.removeprefix("* ") for line in digest.text.splitlines() if line.startswith("* ")]


def test_a_week_is_built_once_and_rerunning_returns_the_recorded_digest(
    store: SqlStore, tmp_path: Path
) -> None:
    settings = site_settings(tmp_path)
    add(
        store, SEND_W48 - timedelta(days=2), article("tempo", "Tempo runs", SEND_W48 - timedelta(3))
    )
    first = build_digest(settings, store, SEND_W48, "2026-W48")
    assert first.created and first.digest is not None
    assert first.digest.item_count == 1 and first.digest.subject.endswith("plus 1 new article")

    add(store, SEND_W48 + timedelta(hours=1), article("hills", "Hills", SEND_W48))
    again = build_digest(settings, store, SEND_W48 + timedelta(hours=2), "2026-W48")
    assert not again.created
    assert again.digest == first.digest, "no rebuild, even with new entries"
    assert again.exercise == first.exercise


def test_each_digest_carries_what_is_new_since_the_last_one(
    store: SqlStore, tmp_path: Path
) -> None:
    settings = site_settings(tmp_path)
    add(
        store,
        SEND_W47 - timedelta(days=1),
        article("old", "Old news", SEND_W47 - timedelta(days=30)),  # backfill: published long ago
        article("a", "Article A", SEND_W47 - timedelta(days=2)),
        question("q1", "Question one?", SEND_W47 - timedelta(days=2), "Mark", "<p>Why?</p>"),
    )
    assert build_digest(settings, store, SEND_W47, "2026-W47").created
    assert titles(store, "2026-W47") == ["Article A", "Question one?"]

    add(
        store,
        SEND_W47 + timedelta(days=3),
        article("b", "Article B", SEND_W47 + timedelta(days=3)),
        article("a", "Article A, edited", SEND_W47 - timedelta(days=2)),  # keeps its first-seen
        article("late", "Late arrival", SEND_W47 - timedelta(days=6)),  # within the backlog grace
        article("archive", "From an archive", SEND_W47 - timedelta(days=60)),
    )
    # A question that arrived before the last digest but was approved only now.
    add(
        store,
        SEND_W47 - timedelta(days=3),
        question("q2", "Question two?", SEND_W47 - timedelta(days=3), None, "<p>How?</p>"),
    )
    built = build_digest(settings, store, SEND_W48, "2026-W48")
    assert built.digest is not None
    assert built.digest.period_start == SEND_W47
    assert titles(store, "2026-W48") == ["Article B", "Late arrival", "Question two?"]


def test_the_first_digest_is_no_backfill_flood(store: SqlStore, tmp_path: Path) -> None:
    settings = site_settings(tmp_path)
    # The first collect sees a feed's whole history at once.
    history = [
        article(f"h{n}", f"History {n}", SEND_W48 - timedelta(days=8 + n)) for n in range(50)
    ]
    recent = article("recent", "Recent", SEND_W48 - timedelta(days=6))
    add(store, SEND_W48 - timedelta(hours=1), recent, *history)
    add(store, SEND_W48 - timedelta(days=8), article("seen", "Seen long ago", SEND_W48))
    build_digest(settings, store, SEND_W48, "2026-W48")
    assert titles(store, "2026-W48") == ["Recent"]


def test_a_quiet_week_still_brings_its_exercise_unless_skip_empty(
    store: SqlStore, tmp_path: Path
) -> None:
    quiet = build_digest(site_settings(tmp_path / "a"), store, SEND_W48, "2026-W48")
    assert quiet.digest is not None and quiet.digest.item_count == 0
    assert NOTHING_NEW.split(",")[0] in quiet.digest.text
    assert quiet.digest.subject == f"This week's foot exercise: {quiet.exercise.name}"  # type: ignore[union-attr]

    skipping = site_settings(tmp_path / "b", "skip_empty: true\n")
    skipped = build_digest(skipping, store, SEND_W48 + timedelta(weeks=1), "2026-W49")
    assert skipped.skipped and store.built_digest("2026-W49") is None
    assert "2026-W49" not in store.featured_weeks(), "a skipped week uses up no exercise"


def test_preview_records_nothing_and_shows_what_the_build_will_be(
    store: SqlStore, tmp_path: Path
) -> None:
    settings = site_settings(tmp_path)
    add(store, SEND_W48 - timedelta(days=1), article("a", "Article A", SEND_W48 - timedelta(1)))
    shown = preview_digest(settings, store, SEND_W48, "2026-W48")
    assert not shown.stored and shown.item_count == 1
    assert store.built_digest("2026-W48") is None and store.featured_weeks() == {}
    assert UNSUBSCRIBE_PLACEHOLDER not in shown.html + shown.text
    assert re.search(f'<a href="{BASE_URL}"[^>]*>unsubscribe</a>', shown.html)

    built = build_digest(settings, store, SEND_W48, "2026-W48")
    assert built.exercise == shown.exercise
    assert built.digest is not None and built.digest.subject == shown.subject
    assert web_copy(built.digest.html, BASE_URL) == shown.html
    # Links follow the base URL of the moment, not of the build (issue 19, item 3).
    moved = load_settings(
        settings.config_path, {"NEWSLETTER_BASE_URL": "https://moved.example.org/"}
    )
    later = preview_digest(moved, store, SEND_W48 + timedelta(days=1), "2026-W48")
    assert "https://moved.example.org/archive/" in later.html
    assert BASE_URL + "archive/" not in later.html
    again = preview_digest(settings, store, SEND_W48 + timedelta(days=1), "2026-W48")
    assert again.stored and again.html == shown.html


def test_the_digest_step_of_run_builds_when_due(store: SqlStore, tmp_path: Path) -> None:
    settings = site_settings(tmp_path)
    early = build_due_digest(settings, store, SEND_W48 - timedelta(seconds=1))
    assert early.status == "not_due" and early.digest_id is None
    assert early.summary() == "digest 2026-W48: not due until Mon 23 Nov 2026 07:00 GMT"
    assert store.built_digest("2026-W48") is None

    # A site's first digest is never empty: it waits for something to put in it.
    empty = build_due_digest(settings, store, SEND_W48)
    assert empty.status == "first_empty" and store.built_digest("2026-W48") is None
    assert "a first digest is never empty" in empty.summary()
    add(store, SEND_W48 - timedelta(hours=1), article("a", "Article A", SEND_W48 - timedelta(1)))
    built = build_due_digest(settings, store, SEND_W48)
    assert built.status == "built" and built.digest_id is not None
    assert built.as_dict()["week"] == "2026-W48"
    assert built.summary().startswith("digest 2026-W48: built, 1 item(s), exercise: ")

    later = build_due_digest(settings, store, SEND_W48 + timedelta(days=3))
    assert later.status == "already_built" and later.digest_id == built.digest_id

    skipping = site_settings(tmp_path / "skip", "skip_empty: true\n")
    skipped = build_due_digest(skipping, store, SEND_W48 + timedelta(weeks=1))
    assert skipped.status == "skipped" and skipped.week == "2026-W49"


def test_two_racing_builders_record_one_digest(
    store: SqlStore, tmp_path: Path, engines: Callable[[str], Engine]
) -> None:
    settings = site_settings(tmp_path)
    add(store, SEND_W48 - timedelta(days=1), article("a", "Article A", SEND_W48 - timedelta(1)))
    url = store.engine.url.render_as_string(hide_password=False)
    stores = [SqlStore(engines(url)) for _ in range(2)]
    start = threading.Barrier(2)
    results = []

    def build(other: SqlStore) -> None:
        start.wait()
        results.append(build_digest(settings, other, SEND_W48, "2026-W48"))

    threads = [threading.Thread(target=build, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 2
    assert sorted(r.created for r in results) == [False, True]
    assert results[0].digest == results[1].digest


def test_the_loser_of_a_race_gets_the_winners_digest(store: SqlStore, tmp_path: Path) -> None:
    add(store, SEND_W48, article("a", "A", SEND_W48), article("b", "B", SEND_W48))
    ids = [c.id for c in store.digest_candidates(_everything(), 10).entries]

    def draft(subject: str, entry_ids: list[int]) -> DigestDraft:
        return DigestDraft(
            "2026-W48", subject, "<p>html</p>", "text", SEND_W47, SEND_W48, None,
            tuple(entry_ids), SEND_W48,
        )  # fmt: skip

    first, created = store.save_digest(draft("winner", ids[:1]))
    second, created_again = store.save_digest(draft("loser", ids))
    assert created and not created_again
    assert second == first and second.subject == "winner" and second.item_count == 1
    assert len(store.digest_candidates(_everything(), 10).entries) == 1, "only the winner's items"


def test_candidates_are_the_newest_and_all_are_counted(store: SqlStore) -> None:
    add(
        store,
        SEND_W48,
        *(article(f"a{n}", f"A{n}", SEND_W48 - timedelta(hours=n)) for n in range(5)),
    )
    candidates = store.digest_candidates(_everything(), 3)
    assert [c.title for c in candidates.entries] == ["A0", "A1", "A2"]
    assert candidates.total == 5
    assert candidates.entries[0].feed_name == "Running Training"


def _everything() -> CandidateWindow:
    long_ago = SEND_W48 - timedelta(days=3650)
    return CandidateWindow(SEND_W48 + timedelta(days=1), long_ago, long_ago, long_ago, long_ago)


def test_a_flood_is_cut_to_fit_gmail_and_the_rest_is_counted(
    store: SqlStore, tmp_path: Path
) -> None:
    settings = site_settings(tmp_path)
    body = "<p>" + "Long words about running and feet. " * 40 + "</p>"
    articles = [
        article(f"a{n:03d}", f"Article {n:03d}", SEND_W48 - timedelta(minutes=n), body)
        for n in range(250)
    ]
    questions = [
        question(f"q{n}", f"Question {n}?", SEND_W48 - timedelta(days=2, minutes=n), "Ann", body)
        for n in range(30)
    ]
    add(store, SEND_W48 - timedelta(hours=1), *articles, *questions)
    built = build_digest(settings, store, SEND_W48, "2026-W48")
    assert built.digest is not None
    kept = built.digest.item_count
    digest = built.digest
    size = digest_size(settings)(digest.subject, digest.text, digest.html)
    assert CLIP_BYTES - 3_000 < size <= CLIP_BYTES, f"{size} bytes as sent: under, nearly full"
    assert built.left_out == 280 - kept > 0
    assert f"And {280 - kept} more on the site" in built.digest.text
    shown = titles(store, "2026-W48")
    assert shown == [f"Article {n:03d}" for n in range(kept)], "the newest stay, in order"

    # The questions left out are still news next week; the articles are on the site.
    next_week = build_digest(settings, store, SEND_W48 + timedelta(weeks=1), "2026-W49")
    assert next_week.digest is not None and next_week.digest.item_count == 30
    assert titles(store, "2026-W49") == [f"Question {n}?" for n in range(30)]
