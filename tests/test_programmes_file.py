"""programmes.yaml: the shipped programme, a site's own, and mistakes named by file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsletter.digest.catalog import default_catalog_path, load_catalog
from newsletter.programmes.file import (
    default_programmes_path,
    load_programmes,
    load_site_programmes,
    programmes_path,
)
from newsletter.programmes.model import Step
from tests.support.yaml_files import refusal, write_yaml

SLUGS = ("toe-tapping", "calf-raises", "balance")

ONE = """\
programmes:
  - key: feet
    title: Feet in two weeks
    summary: Two emails.
    safety: See a physical therapist about pain that does not go away.
    steps:
      - exercise: toe-tapping
        after_days: 0
        sets: 3 sets of 10
        how_often: twice a week
      - exercise: calf-raises
        after_days: 7
        sets: 3 sets of 15
        how_often: once a week
        words: >
          First paragraph,
          folded.

          Second paragraph.
"""


def test_the_shipped_programme_is_the_seeds_eleven_exercises_one_a_week() -> None:
    catalog = load_catalog(default_catalog_path())
    (programme,) = load_programmes(default_programmes_path(), [e.slug for e in catalog])
    assert (programme.key, programme.title) == ("stronger-feet", "Stronger feet in 11 weeks")
    assert programme.length == 11
    # Every exercise of the catalog once; the first on the day a reader joins, then weekly.
    assert sorted(s.exercise for s in programme.steps) == sorted(e.slug for e in catalog)
    assert [s.after_days for s in programme.steps] == [0] + [7] * 10
    # Seated and gentle first; standing, balance and eccentric work last.
    sitting = {e.slug: e.sitting for e in catalog}
    order = [sitting[s.exercise] for s in programme.steps]
    assert order == sorted(order, reverse=True), "every sitting exercise before the standing"
    assert [s.exercise for s in programme.steps][-2:] == ["balance", "eccentric-heel-drops"]
    # The seed's "once or twice a week is sufficient", and its safety note in its words.
    assert all(s.how_often.startswith("once or twice a week") for s in programme.steps)
    assert all(s.sets and s.words for s in programme.steps)
    assert "does not go away through rest and ice" in programme.safety
    assert "consult a physical therapist" in programme.safety
    assert programme.template == "programme_step"


def write(folder: Path, text: str) -> Path:
    return write_yaml(folder / "programmes.yaml", text)


def test_a_site_uses_its_own_programmes_when_it_has_them(tmp_path: Path) -> None:
    assert programmes_path(tmp_path) == default_programmes_path()
    assert [p.key for p in load_site_programmes(tmp_path)] == ["stronger-feet"]
    own = write(tmp_path, ONE)
    assert programmes_path(tmp_path) == own
    (programme,) = load_site_programmes(tmp_path)
    assert programme.key == "feet" and programme.line == 2
    assert programme.step(2) == Step(
        exercise="calf-raises",
        after_days=7,
        sets="3 sets of 15",
        how_often="once a week",
        words="First paragraph, folded.\n\nSecond paragraph.",
        line=11,
    )


def test_a_site_may_have_no_programme(tmp_path: Path) -> None:
    write(tmp_path, "programmes: []  # none on this site\n")
    assert load_site_programmes(tmp_path) == ()


def test_literal_words_keep_their_paragraphs_and_join_their_lines(tmp_path: Path) -> None:
    text = ONE.replace("words: >", "words: |")
    (programme,) = load_programmes(write(tmp_path, text), SLUGS)
    assert programme.step(2).words == "First paragraph, folded.\n\nSecond paragraph."


def test_a_template_of_the_site_is_found_and_one_with_no_file_refused(tmp_path: Path) -> None:
    text = ONE.replace("    steps:\n", "    template: feet_step\n    steps:\n")
    path = write(tmp_path, text)
    email = tmp_path / "templates" / "email"
    email.mkdir(parents=True)
    (email / "feet_step.html").write_text("<p>{{ step.exercise.name }}</p>\n")
    assert refusal(lambda: load_site_programmes(tmp_path), path, 6) == (
        "template 'feet_step' needs email/feet_step.txt in the site's templates/; "
        "add the file or leave template out"
    )
    (email / "feet_step.txt").write_text("{{ step.exercise.name }}\n")
    (programme,) = load_site_programmes(tmp_path)
    assert programme.template == "feet_step"


STEP_2 = "      - exercise: calf-raises\n        after_days: 7\n"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (ONE.replace("    title:", "    titel:"), 3,
         "unknown key 'titel' in a programme (did you mean 'title'?); write one of: key, title"),
        (ONE.replace("        how_often: twice a week\n", "        how_often: twice a week\n"
                     "        reps: 10\n"), 11,
         "unknown key 'reps' in step 1 of programme 'feet'; write one of: exercise, after_days"),
        (ONE.replace("    safety: See a physical therapist about pain that does not go away.\n",
                     ""), 2, "a programme is missing 'safety'; add 'safety: …'"),
        (ONE.replace("        sets: 3 sets of 15\n", ""), 11,
         "step 2 of programme 'feet' is missing 'sets'"),
        (ONE + ONE.removeprefix("programmes:\n").replace("Feet in two", "Other"), 20,
         "the key 'feet' is used twice (first on line 2); give each programme its own key"),
        (ONE.replace("key: feet", "key: Feet Two"), 2,
         "key 'Feet Two' must be lowercase letters, digits and dashes"),
        (ONE.replace("exercise: calf-raises", "exercise: calf-raise"), 11,
         "the exercise 'calf-raise' of step 2 of programme 'feet' is not in the exercise "
         "catalog; did you mean 'calf-raises'?"),
        (ONE.replace("exercise: calf-raises", "exercise: skipping"), 11,
         "is not in the exercise catalog; write one of: toe-tapping, calf-raises, balance"),
        (ONE.replace("after_days: 7", "after_days: 0"), 12,
         "after_days of step 2 of programme 'feet' must be a whole number from 1 to 365"),
        (ONE.replace("after_days: 0", "after_days: -1"), 8,
         "after_days of step 1 of programme 'feet' must be a whole number from 0 to 365"),
        (ONE.replace("after_days: 7", "after_days: a week"), 12, "must be a whole number"),
        (ONE[: ONE.index("      - exercise: toe")].replace("steps:", "steps: []"), 6,
         "programme 'feet' has no steps; list at least one"),
        (ONE[: ONE.index("      - exercise: toe")].replace("steps:", "steps: toe-tapping"), 6,
         "the steps of programme 'feet' must be a list"),
        (ONE.replace("    steps:\n", "    template: ../../etc/passwd\n    steps:\n"), 6,
         "template '../../etc/passwd' must be a file name without its ending"),
        (ONE.replace("        sets: 3 sets of 10\n", "        sets: 3 sets of 10\n"
                     "        template: nowhere\n"), 10,
         "template 'nowhere' needs email/nowhere.html and email/nowhere.txt"),
        (ONE.replace("title: Feet in two weeks", "title: " + "x" * 201), 3,
         "title of programme 'feet' is 201 characters long; keep it under 200"),
        (ONE.replace("sets: 3 sets of 15", "sets: " + "x" * 201), 13,
         "sets of step 2 of programme 'feet' is 201 characters long; keep it under 200"),
        (ONE.replace("Second paragraph.", "x" * 3000), 15,
         "words of step 2 of programme 'feet' is 3026 characters long; keep it under 3000"),
        (ONE.replace("how_often: once a week", 'how_often: ""'), 14,
         "how_often of step 2 of programme 'feet' must be a non-empty text value"),
        (ONE.replace("sets: 3 sets of 10", 'sets: "3 \\0 sets"'), 9, "has a control character"),
        (ONE.replace("sets: 3 sets of 10", "sets: [3, 10]"), 9,
         "sets of step 1 of programme 'feet' must be a non-empty text value"),
        (ONE + STEP_2 * 59, 136, "programme 'feet' has more than 60 steps"),
        ("programme:\n  - key: a\n", 1,
         "unknown key 'programme' in the top level (did you mean 'programmes'?)"),
        ("programmes:\n  - key: [a\n", 3, "not valid YAML"),
        ("# only a comment\n", 1,
         "the file is empty; it needs 'programmes:' and a list (or programmes: [] for none)"),
        ("programmes: {}\n", 1, "programmes must be a list"),
        ("programmes:\n  - stronger-feet\n", 2, "a programme must be a mapping"),
    ],
)  # fmt: skip
def test_mistakes_are_named_by_file_and_line(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = write(tmp_path, text)
    assert message in refusal(lambda: load_programmes(path, SLUGS), path, line)


def test_the_catalog_a_site_keeps_is_the_one_its_programmes_are_checked_against(
    tmp_path: Path,
) -> None:
    """A site whose own exercises.yaml lacks an exercise the shipped programme names is
    told so, naming the shipped file's line."""
    write_yaml(
        tmp_path / "exercises.yaml",
        """\
        exercises:
          - slug: toe-tapping
            name: Toe tapping
            how: Lift your toes.
            strengthens: the shins
            equipment: none
            sitting: true
        """,
    )
    said = refusal(lambda: load_site_programmes(tmp_path), default_programmes_path(), 46)
    assert said.startswith("the exercise 'ankle-alphabet' of step 2 of programme 'stronger-feet'")
