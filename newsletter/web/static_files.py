"""``/static/<name>`` and ``/favicon.ico``: the files of templates/web/ pages load.

A URL with the file's current version (``?v=``, as pages link it) is cached for a year
and never revalidated; any other URL of it (no version, or an old page's old version)
gets the current file with the feeds' short cache, so nothing stale is ever kept long.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, request, url_for

from newsletter.assets import IMMUTABLE, Asset, read_asset
from newsletter.publish import RenderedFile
from newsletter.web.responses import conditional
from newsletter.web.services import services

blueprint = Blueprint("assets", __name__)
ICON_CACHE = "public, max-age=86400"  # /favicon.ico has one URL: a day, then a 304


@blueprint.get("/static/<name>")
def asset(name: str) -> Response:
    found = site_asset(name)
    response = conditional(RenderedFile(found.data, found.updated), found.content_type)
    if request.args.get("v") == found.version:
        response.headers["Cache-Control"] = IMMUTABLE
    return response


@blueprint.get("/favicon.ico")
def favicon() -> Response:
    found = site_asset("favicon.ico")
    response = conditional(RenderedFile(found.data, found.updated), found.content_type)
    response.headers["Cache-Control"] = ICON_CACHE
    return response


def asset_url(name: str) -> str:
    """The versioned URL pages link (read once per app, then kept)."""
    return url_for("assets.asset", name=name, v=site_asset(name).version)


def site_asset(name: str) -> Asset:
    ctx = services()
    found = ctx.assets.get(name)
    if found is None:
        found = read_asset(ctx.settings.root, name)
        if found is None:
            abort(404)
        ctx.assets[name] = found  # a race reads it twice, harmlessly
    return found
