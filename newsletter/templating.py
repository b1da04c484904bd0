"""Jinja2 environments: the site's own templates/ first, then the defaults we ship.

A site overrides any template by putting a file of the same name in its ``templates/``.
The defaults live in the repository's ``templates/`` and ship in the wheel as
``newsletter/_templates``, so ``pip install`` outside the repository works.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from newsletter.palette import load_palette

if TYPE_CHECKING:
    from jinja2 import Environment


def default_templates_dir() -> Path:
    packaged = Path(__file__).resolve().parent / "_templates"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[1] / "templates"


def template_folders(site_root: Path) -> list[Path]:
    """Where templates are looked for, the site's own first."""
    return [site_root / "templates", default_templates_dir()]


def make_environment(site_root: Path) -> Environment:
    """Autoescape is on for .html and .xml; plain-text templates (.txt) are not escaped.
    Only HTML sanitized at ingest may be marked ``|safe``. Every template sees the one
    palette and type scale (templates/web/palette.css) as ``palette``: the emails write its
    values into their styles."""
    # Imported here: `status` checks programmes.yaml's templates exist (template_folders)
    # without rendering any, and need not load Jinja2 for that.
    from jinja2 import (
        ChoiceLoader,
        Environment,
        FileSystemLoader,
        StrictUndefined,
        select_autoescape,
    )

    folders = template_folders(site_root)
    environment = Environment(
        loader=ChoiceLoader([FileSystemLoader(folder) for folder in folders]),
        autoescape=select_autoescape(enabled_extensions=("html", "xml"), default=False),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals["palette"] = load_palette(folders)
    return environment
