"""The exercise rotation over years of weeks: one per week, no repeat within a cycle,
pins respected, stored weeks never changed, whatever happens to the catalog (pure)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime

import pytest

from newsletter.digest.rotation import NoExercises, choose_exercise
from newsletter.digest.weeks import shift_week
from newsletter.store.exercises import ExerciseRecord, FeaturedWeek

NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
START = "2026-W01"


def exercise(exercise_id: int, position: int, active: bool = True) -> ExerciseRecord:
    return ExerciseRecord(
        id=exercise_id,
        slug=f"ex-{exercise_id}",
        position=position,
        name=f"Exercise {exercise_id}",
        how="",
        strengthens="",
        equipment="none",
        sitting=True,
        active=active,
    )


def catalog(ids: Sequence[int], removed: Sequence[int] = ()) -> list[ExerciseRecord]:
    active = [exercise(i, position) for position, i in enumerate(ids)]
    return active + [exercise(i, 0, active=False) for i in removed]


ELEVEN = catalog(range(1, 12))


def simulate(
    weeks: int,
    catalog_at: Callable[[int], list[ExerciseRecord]],
    pins: Mapping[int, int] | None = None,
) -> dict[str, FeaturedWeek]:
    """Build every week in turn, as `run` would: each choice is stored once made."""
    stored = {
        shift_week(START, i): FeaturedWeek(shift_week(START, i), exercise_id, True, NOW)
        for i, exercise_id in (pins or {}).items()
    }
    for i in range(weeks):
        week = shift_week(START, i)
        choice = choose_exercise(week, catalog_at(i), stored)
        if not choice.stored:
            stored[week] = FeaturedWeek(week, choice.exercise_id, False, NOW)
    return stored


def sequence(stored: Mapping[str, FeaturedWeek], weeks: int) -> list[int]:
    return [stored[shift_week(START, i)].exercise_id for i in range(weeks)]


def test_a_fixed_catalog_goes_round_in_catalog_order_for_three_years() -> None:
    weeks = 157
    featured = sequence(simulate(weeks, lambda _: ELEVEN), weeks)
    assert featured[:11] == list(range(1, 12))
    for i in range(weeks - 10):
        assert len(set(featured[i : i + 11])) == 11, f"a repeat within 11 weeks at week {i}"


def test_the_rotation_is_deterministic() -> None:
    pins = {5: 9, 60: 2}
    assert simulate(160, lambda _: ELEVEN, pins) == simulate(160, lambda _: ELEVEN, pins)


def test_three_years_of_catalog_edits_and_pins_keep_every_promise() -> None:
    weeks = 160

    def catalog_at(i: int) -> list[ExerciseRecord]:
        if i < 40:
            return ELEVEN
        if i < 90:  # two exercises added, one of them at the top of the file
            return catalog([12, *range(1, 12), 13])
        return catalog([12, 1, 2, 4, 5, 6, 8, 9, 10, 11, 13], removed=[3, 7])  # two removed

    pins = {3: 8, 17: 8, 41: 5, 95: 13, 120: 2, 121: 2}
    stored = simulate(weeks, catalog_at, pins)
    featured = sequence(stored, weeks)

    assert len(stored) == weeks, "exactly one exercise per week"
    for i, exercise_id in pins.items():
        assert featured[i] == exercise_id and stored[shift_week(START, i)].pinned
    assert featured[40] == 12 or 40 in pins, "an added exercise comes next"
    assert featured[41] == 5  # pinned
    assert 13 in featured[40:53]
    assert not {3, 7} & set(featured[90:]), "a removed exercise is never featured again"

    for i, exercise_id in enumerate(featured):
        if i in pins:
            continue
        active = {e.id for e in catalog_at(i) if e.active}
        assert exercise_id in active
        previous = max((j for j in range(i) if featured[j] == exercise_id), default=None)
        if previous is None:
            continue
        between = set(featured[previous + 1 : i])
        ahead = {featured[j] for j in range(i + 1, i + len(active)) if j in pins}
        missing = active - between - ahead - {exercise_id}
        assert not missing, f"week {i} repeats {exercise_id} before {missing} had their turn"


def test_a_pin_ahead_keeps_its_exercise_for_its_week() -> None:
    stored = simulate(11, lambda _: ELEVEN, pins={6: 1})
    featured = sequence(stored, 11)
    assert featured[6] == 1
    assert featured.count(1) == 1, "exercise 1 waits for its pinned week"
    assert sorted(featured) == list(range(1, 12))


def test_pinning_an_exercise_already_featured_repeats_it_then_the_cycle_goes_on() -> None:
    stored = simulate(14, lambda _: ELEVEN, pins={4: 1})
    featured = sequence(stored, 14)
    assert featured[0] == 2, "1 is reserved for week 4, within the first cycle"
    assert featured[4] == 1
    assert sorted(featured[:11]) == list(range(1, 12))


def test_stored_weeks_never_change_whatever_the_catalog_becomes() -> None:
    stored = simulate(30, lambda _: ELEVEN)
    shrunk = catalog([5, 6], removed=[1, 2, 3, 4, 7, 8, 9, 10, 11])
    grown = catalog([*range(1, 12), 12, 13, 14])
    for week, featured in stored.items():
        for changed in (shrunk, grown, list(reversed(ELEVEN))):
            choice = choose_exercise(week, changed, stored)
            assert choice.exercise_id == featured.exercise_id and choice.stored


def test_weeks_with_no_digest_consume_nothing() -> None:
    # Weeks 0 to 4 were featured; then five weeks were skipped (nothing stored).
    stored = simulate(5, lambda _: ELEVEN)
    assert choose_exercise(shift_week(START, 10), ELEVEN, stored).exercise_id == 6


def test_an_empty_catalog_is_an_error_not_a_crash() -> None:
    with pytest.raises(NoExercises):
        choose_exercise(START, catalog([], removed=[1]), {})
