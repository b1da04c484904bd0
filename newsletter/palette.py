"""The one palette and type scale (templates/web/palette.css), read for what cannot say
``var(--accent)``: the emails' inline styles and the exercise pictures' PNG.

The file is CSS so that the site and the console load it as it is (in front of their own
stylesheets); this module reads its custom properties back: the light ones from the first
``:root`` block, the dark ones from the ``:root`` inside ``@media (prefers-color-scheme:
dark)``. A site's own templates/web/palette.css wins over ours, like every template: the
functions take the template folders, the site's first (``templating.template_folders``),
and every template sees the palette as ``palette`` (``templating.make_environment``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from newsletter.errors import ConfigError

FILE = "palette.css"
ROOT_PX = 16  # 1rem, for the emails' sizes in px
_PROPERTY = re.compile(r"--([a-z0-9-]+)\s*:\s*([^;]+);")
# What a value may hold: colours, sizes, font names. Nothing an HTML template would escape,
# so the emails' <style> gets the values as written.
_VALUE = re.compile(r"[#\w\s.,()%-]+")
_DARK = re.compile(r"@media\s*\(\s*prefers-color-scheme\s*:\s*dark\s*\)")


@dataclass(frozen=True)
class Palette:
    light: dict[str, str]  # name without "--" → value, as written
    dark: dict[str, str]  # only what dark mode changes

    def px(self, step: str) -> int:
        """A type-scale step (``"-1"``, ``"0"``, ``"2"``…) in pixels: emails size in px."""
        value = self.light[f"step-{step}"]
        if not value.endswith("rem"):
            raise ConfigError(f"{FILE}: --step-{step} must be in rem, not '{value}'")
        return round(float(value.removesuffix("rem")) * ROOT_PX)

    @property
    def dark_all(self) -> dict[str, str]:
        """Every value in dark mode: the light ones it does not change, and its own."""
        return {**self.light, **self.dark}


def palette_path(folders: Sequence[Path]) -> Path:
    """The first folder's web/palette.css that exists (the last folder is ours: it has one)."""
    found = [folder / "web" / FILE for folder in folders]
    return next((path for path in found if path.is_file()), found[-1])


def palette_css(folders: Sequence[Path]) -> bytes:
    """The file as pages load it, in front of their stylesheet."""
    return palette_path(folders).read_bytes()


def load_palette(folders: Sequence[Path]) -> Palette:
    """The site's palette; a site's own file must name every value ours does (the emails
    and the stylesheets use them all)."""
    path, ours = palette_path(folders), folders[-1] / "web" / FILE
    palette = parse(path.read_text(encoding="utf-8"), path)
    if path != ours:
        missing = sorted(set(parse(ours.read_text(encoding="utf-8")).light) - set(palette.light))
        if missing:
            raise ConfigError(f"{path}: --{missing[0]} is missing; copy it from {ours}")
    return palette


def parse(text: str, where: Path | str = FILE) -> Palette:
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)  # comments may name properties
    found = _DARK.search(text)
    light_part, dark_part = (text[: found.start()], text[found.end() :]) if found else (text, "")
    light = dict(_PROPERTY.findall(light_part))
    dark = dict(_PROPERTY.findall(dark_part))
    light = {name: value.strip() for name, value in light.items()}
    dark = {name: value.strip() for name, value in dark.items()}
    for name, value in (*light.items(), *dark.items()):
        if not _VALUE.fullmatch(value):
            raise ConfigError(f"{where}: --{name}: '{value[:40]}' holds a character it may not")
    unknown = sorted(set(dark) - set(light))
    if unknown:
        raise ConfigError(f"{where}: dark mode sets --{unknown[0]}, which light mode lacks")
    return Palette(light, dark)
