"""The files of templates/web/ that pages load as they are: the stylesheet and the icons.

A site restyles by putting a file of the same name in its own templates/web/. Pages link
each file with a hash of its content in the URL (``site.css?v=…``), so a browser may keep
it for a year (:data:`IMMUTABLE`) and still never uses an old stylesheet after a change:
the changed file has another URL. The web app and the published archive link the same
URLs, so the archive's files on disk load the same stylesheet.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from newsletter.templating import default_templates_dir

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
    for folder in (site_root / "templates", default_templates_dir()):
        path = folder / "web" / name
        try:
            data = path.read_bytes()
            modified = path.stat().st_mtime
        except (FileNotFoundError, NotADirectoryError):
            continue
        return Asset(name, data, datetime.fromtimestamp(int(modified), UTC))
    return None
