"""The catalog in the store, the featured exercise of built weeks, and pinning a week."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from newsletter.config import Settings
from newsletter.digest import build_digest, exercise_overview, feature_exercise, sync_catalog
from newsletter.digest.exercises import UnknownExercise, WeekAlreadyBuilt
from newsletter.store import SqlStore
from newsletter.store.exercises import ExerciseRecord
from tests.support.digest import SEND_W48, site_settings

THREE = """\
exercises:
  - {slug: calf-raises, name: Calf raises, how: Rise and lower., strengthens: calves,
     equipment: none, sitting: false}
  - {slug: towel-scrunches, name: Towel scrunches, how: Scrunch a towel., strengthens: arches,
     equipment: a small towel, sitting: true}
  - {slug: ankle-alphabet, name: Ankle alphabet, how: Write A to Z., strengthens: ankles,
     equipment: none, sitting: true}
"""
TWO = """\
exercises:
  - {slug: ankle-alphabet, name: The ankle alphabet, how: Write A to Z in the air.,
     strengthens: ankles, equipment: none, sitting: true}
  - {slug: towel-scrunches, name: Towel scrunches, how: Scrunch a towel., strengthens: arches,
     equipment: a small towel, sitting: true}
"""


def test_the_catalog_is_loaded_on_each_build_and_removed_exercises_are_kept(
    store: SqlStore, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    three = sync_catalog(site_settings(site, catalog=THREE).root, store, SEND_W48)
    assert [e.slug for e in three] == ["calf-raises", "towel-scrunches", "ankle-alphabet"]
    built = build_digest(site_settings(site), store, SEND_W48, "2026-W48")
    assert built.exercise is not None and built.exercise.slug == "calf-raises"

    two = sync_catalog(site_settings(site, catalog=TWO).root, store, SEND_W48 + timedelta(days=1))
    assert [(e.slug, e.active) for e in two] == [
        ("ankle-alphabet", True),
        ("towel-scrunches", True),
        ("calf-raises", False),
    ]
    assert two[0].name == "The ankle alphabet" and two[0].id == three[2].id, "edited in place"
    again = build_digest(site_settings(site), store, SEND_W48 + timedelta(days=1), "2026-W48")
    assert again.digest == built.digest and again.exercise == two[2], "a built week keeps it"
    assert "Calf raises" in again.digest.html  # type: ignore[union-attr]

    following = build_digest(site_settings(site), store, SEND_W48 + timedelta(weeks=1), "2026-W49")
    assert following.exercise is not None and following.exercise.slug == "ankle-alphabet"
    assert store.featured_weeks()["2026-W48"].exercise_id == three[0].id


def test_pinning_a_week(store: SqlStore, tmp_path: Path) -> None:
    settings = site_settings(tmp_path, catalog=THREE)
    week, pinned = pin(settings, store, "ankle-alphabet", "2026-W49")
    assert (week, pinned.slug) == ("2026-W49", "ankle-alphabet")
    week, pinned = pin(settings, store, "towel-scrunches", "2026-W49")
    assert pinned.slug == "towel-scrunches", "a pin may be changed until the week is built"
    assert store.featured_weeks()["2026-W49"].pinned

    this_week = build_digest(settings, store, SEND_W48, "2026-W48")
    assert this_week.exercise is not None and this_week.exercise.slug == "calf-raises"
    next_week = build_digest(settings, store, SEND_W48 + timedelta(weeks=1), "2026-W49")
    assert next_week.exercise is not None and next_week.exercise.slug == "towel-scrunches"

    with pytest.raises(WeekAlreadyBuilt, match=r"pin a later week, e\.g\. --week 2026-W50"):
        pin(settings, store, "ankle-alphabet", "2026-W49")
    assert store.featured_weeks()["2026-W49"].exercise_id == next_week.exercise.id


def test_pinning_an_unknown_or_removed_exercise_says_what_to_do(
    store: SqlStore, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    sync_catalog(site_settings(site, catalog=THREE).root, store, SEND_W48)
    settings = site_settings(site, catalog=TWO)
    with pytest.raises(UnknownExercise, match="did you mean 'towel-scrunches'"):
        pin(settings, store, "towel-scrunch")
    with pytest.raises(UnknownExercise, match=r"'calf-raises' was removed from exercises\.yaml"):
        pin(settings, store, "calf-raises")
    assert store.featured_weeks() == {}


def test_the_overview_lists_featured_weeks_and_the_coming_turns(
    store: SqlStore, tmp_path: Path
) -> None:
    settings = site_settings(tmp_path, catalog=THREE)
    build_digest(settings, store, SEND_W48, "2026-W48")
    pin(settings, store, "calf-raises", "2026-W50")
    overview = exercise_overview(
        settings.root, settings.newsletter.timezone, store, SEND_W48 + timedelta(days=1)
    )
    featured = {line.exercise.slug: (line.weeks, line.pinned) for line in overview.lines}
    assert featured["calf-raises"] == (("2026-W48", "2026-W50"), ("2026-W50",))
    assert featured["towel-scrunches"] == ((), ())
    assert [(u.week, u.exercise.slug, u.state) for u in overview.upcoming] == [
        ("2026-W48", "calf-raises", "chosen"),
        ("2026-W49", "towel-scrunches", "next in turn"),
        ("2026-W50", "calf-raises", "pinned"),
        ("2026-W51", "ankle-alphabet", "next in turn"),
    ]


def pin(
    settings: Settings, store: SqlStore, slug: str, week: str | None = None
) -> tuple[str, ExerciseRecord]:
    """``feature_exercise`` on the site of ``settings``, in the week of SEND_W48."""
    return feature_exercise(
        settings.root, settings.newsletter.timezone, store, slug, SEND_W48, week
    )
