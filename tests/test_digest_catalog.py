"""exercises.yaml: the shipped catalog, a site's own, and mistakes named by file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsletter.digest.catalog import catalog_path, default_catalog_path, load_catalog
from tests.support.yaml_files import refusal, write_yaml

SEED = [
    "Toe tapping",
    "Toe walking",
    "Heel walking",
    "Calf raises",
    "Ankle alphabet",
    "Marble pickup",
    "Resistance band exercises",
    "Towel scrunches",
    "Balance exercises",
    "Eccentric heel drops",
    "Short foot exercise",
]

ONE = """\
exercises:
  - slug: calf-raises
    name: Calf raises
    how: >
      Rise onto your toes,
      then lower slowly.
    strengthens: the calves
    equipment: none
    sitting: false
"""


def write(tmp_path: Path, text: str) -> Path:
    return write_yaml(tmp_path / "exercises.yaml", text)


def test_the_shipped_catalog_has_the_eleven_exercises_of_the_seed() -> None:
    exercises = load_catalog(default_catalog_path())
    assert [e.name for e in exercises] == SEED
    for e in exercises:
        sentences = e.how.count(". ") + 1
        assert 2 <= sentences <= 4, f"{e.slug}: 2 to 4 sentences, not {sentences}"
        assert e.strengthens and e.equipment
    sitting = {e.slug for e in exercises if e.sitting}
    assert {"toe-tapping", "ankle-alphabet", "marble-pickup", "towel-scrunches"} <= sitting
    assert not {"toe-walking", "heel-walking", "calf-raises", "balance"} & sitting


def test_a_site_uses_its_own_catalog_when_it_has_one(tmp_path: Path) -> None:
    assert catalog_path(tmp_path) == default_catalog_path()
    own = write(tmp_path, ONE)
    assert catalog_path(tmp_path) == own
    (exercise,) = load_catalog(own)
    assert exercise.slug == "calf-raises"
    assert exercise.how == "Rise onto your toes, then lower slowly.", "one paragraph"
    assert exercise.sitting is False


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (ONE.replace("    sitting: false", "    sitting: false\n    reps: 10"), 10,
         "unknown key 'reps' in an exercise"),
        (ONE.replace("    equipment: none\n", ""), 2, "missing 'equipment'"),
        (ONE.replace("sitting: false", "sitting: sometimes"), 9, "sitting must be true or false"),
        (ONE.replace("calf-raises", "Calf Raises"), 2, "lowercase letters, digits and dashes"),
        (ONE + ONE.removeprefix("exercises:\n").replace("Calf raises", "Calf raises 2"), 10,
         "the slug 'calf-raises' is used twice (first on line 2)"),
        ("exercises: []\n", 1, "exercises is empty"),
        ("exercise:\n  - slug: a\n", 1, "unknown key 'exercise' in the top level (did you mean"),
        ("exercises:\n  - slug: [a\n", 3, "not valid YAML"),
        ("# only a comment\n", 1, "the file is empty"),
        (ONE.replace("name: Calf raises", "name: " + "x" * 201), 3, "keep it under 200"),
    ],
)  # fmt: skip
def test_mistakes_are_named_by_file_and_line(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = write(tmp_path, text)
    assert message in refusal(lambda: load_catalog(path), path, line)
