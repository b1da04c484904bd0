"""The picture as email shows it: a PNG drawn from the same SVG, hosted on the site.

Email clients do not show inline SVG (Gmail and Outlook drop it), and an image embedded in
the message would spend the 102 KB before Gmail clips it, so the digest links a PNG on the
site by absolute URL. It is drawn at twice its shown size for sharp screens, in the
palette's light picture colours on its picture background (a transparent PNG's dark
strokes would vanish in a dark-mode client).

The renderer is resvg (the ``resvg-py`` wheel): a maintained SVG renderer in Rust that
ships whole in its wheel, so no system cairo, pango or fonts are needed on the server
(cairosvg needs libcairo from the OS, and draws through it); it renders the SVG 1.1 subset
the pictures use (paths, markers, rounded joins) with anti-aliasing that does not depend on
the machine. The pictures hold no text, so no font is loaded.

The file name carries a hash of what is drawn (the SVG text, the scale and the
background): a changed picture gets a new URL, an unchanged one is never drawn twice, and
the site may tell browsers to keep it for ever.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

import resvg_py

from newsletter.pictures.model import Picture
from newsletter.pictures.svg import COLOURS, HEIGHT, WIDTH, render

SCALE = 2  # pixels per CSS pixel: sharp on high-density screens, ~7 KB a picture
BACKGROUND = "#ffffff"
FOLDER = "archive/exercises/"  # beside the exercises' pages
HASH_CHARS = 16


@dataclass(frozen=True)
class HostedPicture:
    """One exercise's PNG: where the site hosts it and what the <img> says."""

    slug: str
    svg: str  # what is drawn
    background: str
    alt: str  # the movement in words, for clients that block images
    width: int = WIDTH  # CSS pixels; the PNG has SCALE times as many
    height: int = HEIGHT

    @property
    def digest(self) -> str:
        drawn = f"{SCALE}|{self.background}|{self.svg}".encode()
        return hashlib.sha256(drawn).hexdigest()[:HASH_CHARS]

    @property
    def path(self) -> str:
        """Relative to the site's root: ``archive/exercises/<slug>.<hash>.png``."""
        return f"{FOLDER}{self.slug}.{self.digest}.png"

    def png(self) -> bytes:
        return draw_png(self.svg, self.background)


def hosted(
    picture: Picture,
    slug: str,
    background: str = BACKGROUND,
    colours: Mapping[str, str] | None = None,
) -> HostedPicture:
    """``slug`` must already be a catalog slug (it goes into a path and the SVG's ids).
    ``colours`` (role → colour, the roles of :data:`svg.COLOURS`) repaints the drawing:
    the palette's light picture colours."""
    svg = render(picture, slug)
    for role, colour in (colours or {}).items():
        svg = svg.replace(f'"{COLOURS[role]}"', f'"{colour}"')
    return HostedPicture(slug, svg, background, picture.says)


# The web app draws a picture that publish has not written yet on request: kept, since
# every reader opening the digest asks for the same few (~7 KB each).
@functools.lru_cache(maxsize=32)
def draw_png(svg: str, background: str) -> bytes:
    return resvg_py.svg_to_bytes(
        svg_string=svg, zoom=SCALE, background=background, skip_system_fonts=True
    )


def split_name(name: str) -> tuple[str, str] | None:
    """``<slug>.<hash>.png`` → (slug, hash); None for any other name."""
    stem, dot, extension = name.rpartition(".")
    slug, dot2, digest = stem.rpartition(".")
    if not (dot and dot2 and extension == "png" and len(digest) == HASH_CHARS):
        return None
    if any(c not in "0123456789abcdef" for c in digest):
        return None
    return slug, digest
