"""The ``picture:`` block of an exercise in exercises.yaml, checked with file:line errors.

picture:
  says: A seated person lifts the toes while the heels stay down.
  view: body            # body, or foot for a close-up of one foot
  posture: sit          # stand, one-leg, step, sit, sit-lift, floor
  start: {ankle: 0}     # joint angles in degrees: ankle, toes, knee; arch 0 to 1
  end: {ankle: 25}
  mark: toe             # the point the arrow follows: toe, heel, arch, knee
  prop: none            # marble, towel, band
  path: arrow           # forward (walking), alphabet (the toe writes letters)
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path as FilePath
from typing import TypeVar

import yaml

from newsletter.config.nodes import Doc, load_doc
from newsletter.pictures.model import Mark, Path, Picture, Pose, Posture, Prop, View

KEYS = ("says", "view", "posture", "start", "end", "mark", "prop", "path")
JOINTS = {"ankle": (-60.0, 60.0), "toes": (-60.0, 60.0), "knee": (0.0, 100.0), "arch": (0.0, 1.0)}
E = TypeVar("E", bound=StrEnum)


def picture(doc: Doc, node: yaml.Node) -> Picture:
    keys = doc.mapping(node, "picture", KEYS, required=("says", "view", "start", "end"))
    return Picture(
        says=" ".join(doc.text(keys["says"], "says", limit=300).split()),
        view=_choice(doc, keys["view"], "view", View),
        posture=_choice(doc, keys.get("posture"), "posture", Posture, Posture.STAND),
        start=_pose(doc, keys["start"], "start"),
        end=_pose(doc, keys["end"], "end"),
        mark=_choice(doc, keys.get("mark"), "mark", Mark, Mark.TOE),
        prop=_choice(doc, keys.get("prop"), "prop", Prop, Prop.NONE),
        path=_choice(doc, keys.get("path"), "path", Path, Path.ARROW),
    )


def load_pictures(path: FilePath) -> dict[str, Picture]:
    """slug → picture for the exercises of a catalog file that have one."""
    doc = load_doc(path)
    top = doc.mapping(doc.root, "the top level", ("exercises",), required=("exercises",))
    found = {}
    for item in doc.sequence(top["exercises"], "exercises"):
        if not isinstance(item, yaml.MappingNode):
            continue  # the catalog's own check says what is wrong
        keys = {str(k.value): v for k, v in item.value if isinstance(k, yaml.ScalarNode)}
        if "picture" in keys and "slug" in keys:
            found[str(keys["slug"].value)] = picture(doc, keys["picture"])
    return found


def _choice(
    doc: Doc, node: yaml.Node | None, where: str, kind: type[E], default: E | None = None
) -> E:
    if node is None:
        assert default is not None
        return default
    value = doc.text(node, where)
    try:
        return kind(value)
    except ValueError:
        known = ", ".join(member.value for member in kind)
        raise doc.error(node, f"{where} '{value[:40]}' is not one of {known}") from None


def _pose(doc: Doc, node: yaml.Node, where: str) -> Pose:
    keys = doc.mapping(node, where, tuple(JOINTS))
    angles = {}
    for name, value in keys.items():
        low, high = JOINTS[name]
        angles[name] = _angle(doc, value, f"{where}.{name}", low, high)
    return Pose(**angles)


def _angle(doc: Doc, node: yaml.Node, where: str, low: float, high: float) -> float:
    # doc.number refuses 0 and negatives; a joint angle is either.
    value = doc.scalar(node, where)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise doc.error(node, f"{where} must be a number from {low:g} to {high:g}")
    return float(value)
