"""The exercise catalog: ``exercises.yaml`` in the site folder, else the one we ship.

The owner adds or edits exercises there, without touching code. The file is checked
like feeds.yaml: an unknown key, a missing field or a slug used twice is refused with
the file, the line and what to write instead.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from newsletter.config.nodes import Doc, load_doc
from newsletter.config.shipped import shipped_file, site_file
from newsletter.pictures.spec import picture
from newsletter.store.exercises import ExerciseData

CATALOG_FILE = "exercises.yaml"
FIELDS = ("slug", "name", "how", "strengthens", "equipment", "sitting")
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_LENGTHS = {"slug": 100, "name": 200, "equipment": 500}  # the columns' sizes


def catalog_path(site_root: Path) -> Path:
    """The site's own catalog when it has one, else the default shipped in the package."""
    return site_file(site_root, CATALOG_FILE)


def default_catalog_path() -> Path:
    """The wheel carries it as newsletter/_data/exercises.yaml; a checkout has it at the top."""
    return shipped_file(CATALOG_FILE)


def load_catalog(path: Path) -> tuple[ExerciseData, ...]:
    """Read and check the whole file; raise ConfigError naming the line of a mistake."""
    doc = load_doc(path, needs="'exercises:' and a list")
    top = doc.mapping(doc.root, "the top level", ("exercises",), required=("exercises",))
    items = doc.sequence(top["exercises"], "exercises")
    if not items:
        raise doc.error(top["exercises"], "exercises is empty; list at least one exercise")
    seen: dict[str, int] = {}
    exercises = []
    for node in items:
        exercise = _exercise(doc, node)
        if exercise.slug in seen:
            raise doc.error(
                node,
                f"the slug '{exercise.slug}' is used twice (first on line {seen[exercise.slug]}); "
                "give each exercise its own slug",
            )
        seen[exercise.slug] = node.start_mark.line + 1
        exercises.append(exercise)
    return tuple(exercises)


def _exercise(doc: Doc, node: yaml.Node) -> ExerciseData:
    keys = doc.mapping(node, "an exercise", (*FIELDS, "picture"), required=FIELDS)
    if "picture" in keys:
        picture(doc, keys["picture"])  # checked here so a mistake stops the load; drawn by pictures
    values = {name: _text(doc, keys[name], name) for name in FIELDS if name != "sitting"}
    if not SLUG.fullmatch(values["slug"]):
        raise doc.error(
            keys["slug"],
            f"slug '{values['slug']}' must be lowercase letters, digits and dashes, "
            "like calf-raises",
        )
    return ExerciseData(
        slug=values["slug"],
        name=values["name"],
        how=values["how"],
        strengthens=values["strengthens"],
        equipment=values["equipment"],
        sitting=doc.boolean(keys["sitting"], "sitting"),
    )


def _text(doc: Doc, node: yaml.Node, name: str) -> str:
    # Folded blocks (>) keep a final newline and may wrap: one paragraph, single-spaced.
    value = " ".join(doc.text(node, name).split())
    limit = MAX_LENGTHS.get(name)
    if limit is not None and len(value) > limit:
        raise doc.error(node, f"{name} is {len(value)} characters long; keep it under {limit}")
    return value
