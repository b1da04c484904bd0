"""The archive's pages in the site's look: the web app's layout (templates/web/base.html),
its header and navigation and its stylesheet, with links relative to the page.

Relative links keep a page's bytes the same wherever it is read from: the file
``publish`` wrote (served by nginx or by the app), or the app rendering it before any
publish, under any path prefix.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment

from newsletter.assets import read_asset
from newsletter.config import Settings
from newsletter.config.settings import WEEKDAYS
from newsletter.formats import DIGESTS, FORMATS
from newsletter.templating import make_environment


def page_links(folder: Path, root: str) -> dict[str, str]:
    """The site's links as seen from a page ``root`` below the site's root (``../``);
    ``folder`` is the site folder, whose assets are linked by version."""
    return {
        "home": root,
        "ask": root + "ask",
        "archive": root + "archive/",
        "exercises": root + "archive/exercises/",
        **{feed.key: root + feed.path for feed in (*FORMATS, DIGESTS)},
        "css": _asset_url(folder, root, "site.css"),
        "icon": _asset_url(folder, root, "favicon.svg"),
    }


def render_page(settings: Settings, template: str, root: str, **context: Any) -> bytes:
    """A page of templates/archive/, as bytes; ``root`` leads from it to the site's root."""
    values = {
        "site": settings.site,
        "links": page_links(settings.root, root),
        "feeds": FORMATS,
        "send_day": WEEKDAYS[settings.newsletter.send_on.weekday].title(),
        "noindex": False,
        "section": "archive",
        **context,
    }
    text = environment(settings.root).get_template(template).render(values)
    return text.encode("utf-8", "replace")


@lru_cache(maxsize=8)
def environment(root: Path) -> Environment:
    # One environment per site folder: templates compile once, and Jinja still reloads a
    # template whose file changed.
    return make_environment(root)


def _asset_url(folder: Path, root: str, name: str) -> str:
    found = read_asset(folder, name)
    return found.url(root + "static/") if found else f"{root}static/{name}"
