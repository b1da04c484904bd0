"""The exercise pictures: every shipped exercise has one, the SVG text is stable and the
PNG for email draws the same pixels (golden files in tests/golden/pictures/), and a mistake
in a picture: block names its line.

The PNGs are compared decoded, pixel by pixel, with a tolerance: anti-aliased edges may
shift by a few levels between resvg releases (and a PNG's bytes change with its encoder
even for the same pixels), while a real change of the drawing moves whole strokes. A
pixel counts as different when a colour channel moves by more than ``CHANNEL``; at most
``SHARE`` of the pixels may. Turning one ankle by a single degree changes more than twice
that (checked below), so the tolerance cannot hide a change of pose or colour.

After an intended change to the drawing, rewrite the golden files with
    NEWSLETTER_UPDATE_GOLDEN=1 pytest tests/test_pictures.py
"""

from __future__ import annotations

import os
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from newsletter.digest.catalog import default_catalog_path, load_catalog
from newsletter.errors import ConfigError
from newsletter.pictures.png import SCALE, hosted, split_name
from newsletter.pictures.spec import load_pictures
from newsletter.pictures.svg import HEIGHT, WIDTH, render
from tests.support.png import Image, decode

GOLDEN = Path(__file__).parent / "golden" / "pictures"
SHIPPED = load_pictures(default_catalog_path())
CHANNEL = 32  # of 255: what anti-aliasing may move one edge pixel by
SHARE = 0.001  # of the pixels: 163 of 480 x 340


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


def differing(a: Image, b: Image) -> int:
    """How many pixels differ by more than CHANNEL in a colour or alpha channel."""
    assert (a.width, a.height, a.channels) == (b.width, b.height, b.channels)
    if a.pixels == b.pixels:  # the usual case, with the resvg that wrote the golden files
        return 0
    step = a.channels
    return sum(
        1
        for at in range(0, len(a.pixels), step)
        if max(
            abs(x - y)
            for x, y in zip(a.pixels[at : at + step], b.pixels[at : at + step], strict=True)
        )
        > CHANNEL
    )


@pytest.mark.parametrize("slug", sorted(SHIPPED))
def test_the_png_of_each_exercise_matches_its_golden_pixels(slug: str) -> None:
    data = hosted(SHIPPED[slug], slug).png()
    golden = GOLDEN / f"{slug}.png"
    if updating():
        golden.write_bytes(data)
    assert golden.is_file(), f"{golden} is missing; write it with NEWSLETTER_UPDATE_GOLDEN=1"
    written = golden.read_bytes()
    drawn = decode(data)
    expected = drawn if data == written else decode(written)
    assert (drawn.width, drawn.height) == (WIDTH * SCALE, HEIGHT * SCALE), "2x for sharp screens"
    assert set(drawn.pixels[3 :: drawn.channels]) == {255}, "opaque: dark-mode clients keep it"
    changed = differing(drawn, expected)
    assert changed <= SHARE * drawn.width * drawn.height, (
        f"{changed} pixels differ from {golden.name}; if intended, "
        "rerun with NEWSLETTER_UPDATE_GOLDEN=1 and look at the picture"
    )


def test_the_tolerance_still_sees_a_one_degree_change_of_pose() -> None:
    picture = SHIPPED["toe-tapping"]
    turned = replace(picture, end=replace(picture.end, ankle=picture.end.ankle + 1))
    before, after = (decode(hosted(p, "toe-tapping").png()) for p in (picture, turned))
    assert differing(before, after) > 2 * SHARE * before.width * before.height


def test_the_png_is_named_by_what_it_draws() -> None:
    picture = SHIPPED["calf-raises"]
    one = hosted(picture, "calf-raises")
    assert one.path == hosted(picture, "calf-raises").path, "stable: drawn once, cached"
    assert one.path.startswith("archive/exercises/calf-raises.") and one.path.endswith(".png")
    assert split_name(one.path.rpartition("/")[2]) == ("calf-raises", one.digest)
    other = hosted(replace(picture, end=replace(picture.end, ankle=10)), "calf-raises")
    assert other.path != one.path, "a changed picture gets a new URL"
    assert hosted(picture, "calf-raises", background="#000000").path != one.path
    assert (one.alt, one.width, one.height) == (picture.says, WIDTH, HEIGHT)
    for name in ("calf-raises.png", "calf-raises.0123.png", "calf-raises.G123456789abcdef.png"):
        assert split_name(name) is None


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
