"""Rendering the web pages (templates/web/, the site's own templates first), and the
stylesheet and icon they load."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, request, url_for

from newsletter.config.settings import WEEKDAYS
from newsletter.publish import Rendered
from newsletter.web.responses import HTML, conditional
from newsletter.web.security import CSRF_FIELD, HONEYPOT_FIELD, csrf_token
from newsletter.web.services import Services, services

blueprint = Blueprint("assets", __name__)

# What /static/ serves: files of templates/web/ (so a site can restyle by overriding them).
ASSETS = {"site.css": "text/css; charset=utf-8", "favicon.svg": "image/svg+xml"}


def page(template: str, status: int = 200, **context: Any) -> Response:
    """A page of templates/web/: never cached (it may carry this visitor's form token)."""
    ctx = services()
    values = {
        "site": ctx.settings.site,
        "send_day": WEEKDAYS[ctx.settings.newsletter.send_on.weekday].title(),
        "links": _links(ctx),
        "csrf_field": CSRF_FIELD,
        "csrf_token": csrf_token,  # called only by pages with a form: no cookie otherwise
        "honeypot_field": HONEYPOT_FIELD,
        "noindex": False,
        **context,
    }
    text = ctx.templates.get_template(template).render(values)
    response = Response(text, status=status, content_type=HTML)
    response.headers["Cache-Control"] = "no-store"
    return response


def after_response(response: Response, work: Callable[[], object]) -> Response:
    """Run ``work`` once the response is sent (the server calls close() after the last
    byte), so what it costs never shows in the response's timing. Its failures are logged:
    the visitor has their answer already."""
    logger = logging.getLogger("newsletter.web")

    def run() -> None:
        try:
            work()
        except Exception:
            logger.exception("work after a response failed")

    response.call_on_close(run)
    return response


@blueprint.get("/static/<name>")
def asset(name: str) -> Response:
    if name not in ASSETS:
        abort(404)
    return conditional(_asset(services(), name), ASSETS[name])


def _links(ctx: Services) -> dict[str, str]:
    root = request.script_root + "/"
    return {
        "home": root,
        "ask": url_for("ask.form"),
        "archive": root + "archive/",
        "rss": root + "feed.xml",
        "atom": root + "atom.xml",
        "json": root + "feed.json",
        "digests": root + "archive/feed.xml",
        # The content's hash in the URL: a changed stylesheet is never taken from a cache.
        "css": url_for("assets.asset", name="site.css", v=_version(ctx, "site.css")),
        "icon": url_for("assets.asset", name="favicon.svg", v=_version(ctx, "favicon.svg")),
    }


def _version(ctx: Services, name: str) -> str:
    return hashlib.sha256(_asset(ctx, name).data).hexdigest()[:12]


def _asset(ctx: Services, name: str) -> Rendered:
    """Read once per app: every page links both files with their hash."""
    found = ctx.assets.get(name)
    if found is None:
        loader = ctx.templates.loader
        if loader is None:  # make_environment always sets one
            abort(404)
        source, filename, _ = loader.get_source(ctx.templates, f"web/{name}")
        modified = Path(filename).stat().st_mtime if filename else 0
        found = Rendered(source.encode(), datetime.fromtimestamp(int(modified), UTC))
        ctx.assets[name] = found
    return found
