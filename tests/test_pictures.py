"""The exercise pictures: every shipped exercise has one, the SVG text is stable (golden
files in tests/golden/pictures/), and a mistake in a picture: block names its line.

After an intended change to the drawing, rewrite the golden files with
    NEWSLETTER_UPDATE_GOLDEN=1 pytest tests/test_pictures.py
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from newsletter.digest.catalog import default_catalog_path, load_catalog
from newsletter.errors import ConfigError
from newsletter.pictures.spec import load_pictures
from newsletter.pictures.svg import render

GOLDEN = Path(__file__).parent / "golden" / "pictures"
SHIPPED = load_pictures(default_catalog_path())


def updating() -> bool:
    return bool(os.environ.get("NEWSLETTER_UPDATE_GOLDEN") or os.environ.get("UPDATE_GOLDEN"))


def test_every_shipped_exercise_has_a_picture_that_says_the_movement() -> None:
    slugs = [e.slug for e in load_catalog(default_catalog_path())]
    assert sorted(SHIPPED) == sorted(slugs)
    for slug, picture in SHIPPED.items():
        assert len(picture.says.split()) >= 10, slug


@pytest.mark.parametrize("slug", sorted(SHIPPED))
def test_the_svg_of_each_exercise_matches_its_golden_file(slug: str) -> None:
    rendered = render(SHIPPED[slug], slug).encode("utf-8")
    golden = GOLDEN / f"{slug}.svg"
    if updating():
        golden.write_bytes(rendered)
    assert golden.is_file(), f"{golden} is missing; write it with NEWSLETTER_UPDATE_GOLDEN=1"
    assert rendered == golden.read_bytes(), (
        f"the picture differs from {golden.name}; if intended, "
        "rerun with NEWSLETTER_UPDATE_GOLDEN=1"
    )


def test_ids_inside_a_picture_carry_its_ident_so_a_page_of_pictures_has_unique_ids() -> None:
    svg = render(SHIPPED["calf-raises"], "calf-raises")
    assert 'id="pic-calf-raises"' in svg and 'id="pic-head-calf-raises"' in svg
    assert "<title" in svg and 'role="img"' in svg


BLOCK = """\
exercises:
  - slug: calf-raises
    name: Calf raises
    how: Rise onto your toes.
    strengthens: the calves
    equipment: none
    sitting: false
    picture:
      says: Standing, the person rises onto the toes and lowers the heels again.
      view: body
      start: {ankle: 0}
      end: {%s}
"""


@pytest.mark.parametrize(
    ("end", "message"),
    [
        ("ankle: 90", "end.ankle must be a number from -60 to 60"),
        ("elbow: 3", "'elbow'"),
        ("ankle: high", "end.ankle must be a number"),
    ],
)
def test_a_mistake_in_a_picture_block_is_named_by_file_and_line(
    tmp_path: Path, end: str, message: str
) -> None:
    path = tmp_path / "exercises.yaml"
    path.write_text(textwrap.dedent(BLOCK % end), encoding="utf-8")
    with pytest.raises(ConfigError, match=f"{path}:12: .*{message}"):
        load_catalog(path)


def test_an_unknown_view_is_refused_with_the_choices(tmp_path: Path) -> None:
    path = tmp_path / "exercises.yaml"
    text = textwrap.dedent(BLOCK % "ankle: 10").replace("view: body", "view: side")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r":10: view 'side' is not one of body, foot"):
        load_catalog(path)
