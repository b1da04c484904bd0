"""The data files we ship (the exercise catalog, the programmes, the deployment guide),
and a site's own copy of one beside its feeds.yaml."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]


def shipped_file(name: str, folder: str = "") -> Path:
    """The wheel carries it as newsletter/_data/<name>; a checkout has it at the top, or
    in ``folder`` there."""
    packaged = _PACKAGE / "_data" / name
    return packaged if packaged.is_file() else _PACKAGE.parent / folder / name


def site_file(site_root: Path, name: str) -> Path:
    """The site's own file when it has one, else the default we ship."""
    own = site_root / name
    return own if own.is_file() else shipped_file(name)
