"""``/robots.txt``: everything may be crawled but the links of emails, whose pages say
``noindex`` too (a crawler that finds one in a public mail archive must not list it)."""

from __future__ import annotations

from flask import Blueprint, Response, request

blueprint = Blueprint("robots", __name__)
CACHE = "public, max-age=86400"


@blueprint.get("/robots.txt")
def robots() -> Response:
    root = request.script_root
    text = f"User-agent: *\nDisallow: {root}/confirm/\nDisallow: {root}/unsubscribe/\n"
    response = Response(text, content_type="text/plain; charset=utf-8")
    response.headers["Cache-Control"] = CACHE
    return response
