"""The files of templates/web/ that pages load as they are: the stylesheet and the icons.

A site restyles by putting a file of the same name in its own templates/web/. Pages link
each file with a hash of its content in the URL (``site.css?v=…``), so a browser may keep
it for a year (:data:`IMMUTABLE`) and still never uses an old stylesheet after a change:
the changed file has another URL. The web app and the published archive link the same
URLs, so the archive's files on disk load the same stylesheet.

site.css is served with the palette (templates/web/palette.css: colours, dark mode, type
scale) in front of it, so pages load one stylesheet, and the palette the console and the
emails share is written once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from newsletter.palette import FILE as PALETTE
from newsletter.palette import palette_path
from newsletter.templating import template_folders

# Name: content type. favicon.ico is favicon.svg drawn at 16, 32 and 48 pixels (PNG in
# ICO), for the browsers and crawlers that ask for /favicon.ico whatever a page links.
TYPES = {
    "site.css": "text/css; charset=utf-8",
    "favicon.svg": "image/svg+xml",
    "favicon.ico": "image/vnd.microsoft.icon",
}
IMMUTABLE = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class Asset:
    name: str
    data: bytes
    updated: datetime

    @property
    def version(self) -> str:
        return hashlib.sha256(self.data).hexdigest()[:12]

    @property
    def content_type(self) -> str:
        return TYPES[self.name]

    def url(self, static: str) -> str:
        """Its versioned URL under ``static`` (``/static/`` or ``../static/``)."""
        return f"{static}{self.name}?v={self.version}"


def read_asset(site_root: Path, name: str) -> Asset | None:
    """The site's own file of that name, else ours; None for a name not in :data:`TYPES`."""
    if name not in TYPES:
        return None
    found = _read(site_root, name)
    if found is None or name != "site.css":
        return found
    palette = _read(site_root, PALETTE)
    assert palette is not None, f"{PALETTE} ships with the package"
    updated = max(palette.updated, found.updated)
    return Asset(name, palette.data + b"\n" + found.data, updated)


def _read(site_root: Path, name: str) -> Asset | None:
    folders = template_folders(site_root)
    if name == PALETTE:
        path = palette_path(folders)
        return Asset(name, path.read_bytes(), _modified(path))
    for folder in folders:
        path = folder / "web" / name
        try:
            return Asset(name, path.read_bytes(), _modified(path))
        except (FileNotFoundError, NotADirectoryError):
            continue
    return None


def _modified(path: Path) -> datetime:
    return datetime.fromtimestamp(int(path.stat().st_mtime), UTC)
