"""Rendering the web pages (templates/web/, the site's own templates first)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Response, request, url_for

from newsletter.config.settings import WEEKDAYS
from newsletter.formats import DIGESTS, FORMATS
from newsletter.web.responses import HTML
from newsletter.web.security import CSRF_FIELD, HONEYPOT_FIELD, csrf_token
from newsletter.web.services import Services, services
from newsletter.web.static_files import asset_url


def page(template: str, status: int = 200, **context: Any) -> Response:
    """A page of templates/web/: never cached (it may carry this visitor's form token)."""
    ctx = services()
    values = {
        "site": ctx.settings.site,
        "send_day": WEEKDAYS[ctx.settings.newsletter.send_on.weekday].title(),
        "links": _links(ctx),
        "feeds": FORMATS,
        "csrf_field": CSRF_FIELD,
        "csrf_token": csrf_token,  # called only by pages with a form: no cookie otherwise
        "honeypot_field": HONEYPOT_FIELD,
        "noindex": False,
        "section": None,  # the navigation's current section, if any
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


def _links(ctx: Services) -> dict[str, str]:
    root = request.script_root + "/"
    return {
        "home": root,
        "ask": url_for("ask.form"),
        "archive": root + "archive/",
        "exercises": root + "archive/exercises/",
        **{feed.key: root + feed.path for feed in (*FORMATS, DIGESTS)},
        # The content's hash in the URL: a changed stylesheet is never taken from a cache.
        "css": asset_url("site.css"),
        "icon": asset_url("favicon.svg"),
    }
