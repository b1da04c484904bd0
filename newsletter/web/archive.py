"""The digest archive: the index and one page per digest."""

from __future__ import annotations

from flask import Blueprint, Response, abort

from newsletter.publish import render_archive_index, render_archive_page
from newsletter.publish.archive import is_week, page_name
from newsletter.web.responses import HTML, published_or_rendered
from newsletter.web.services import services

blueprint = Blueprint("archive", __name__)

# A digest page is email HTML: inline styles and remote images, nothing that runs or submits.
CSP = (
    "default-src 'none'; img-src https: http: data:; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


@blueprint.after_request
def _policy(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    return response


@blueprint.get("/archive/")
@blueprint.get("/archive/index.html")
def index() -> Response:
    ctx = services()
    return published_or_rendered(
        "archive/index.html", HTML, lambda: render_archive_index(ctx.settings, ctx.store())
    )


@blueprint.get("/archive/<week>.html")
def page(week: str) -> Response:
    if not is_week(week):  # also what keeps the path inside public/archive
        abort(404)
    ctx = services()
    return published_or_rendered(
        page_name(week), HTML, lambda: render_archive_page(ctx.settings, ctx.store(), week)
    )
