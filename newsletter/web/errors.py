"""Error pages: one template for every status, in the site's look, saying what to do next.

Pages of the feeds, the archive and /healthz keep a plain-text 503 when the database is
down (feed readers and monitors read those); visitors of the HTML pages get a page.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed

from newsletter.errors import NewsletterError, StoreError
from newsletter.web.pages import page
from newsletter.web.security import PAGE_CSP, CsrfRefused

PLAIN_TEXT_AREAS = frozenset({"feeds", "archive", "health"})
UNAVAILABLE = "The site's database is not available right now; please try again shortly.\n"
logger = logging.getLogger("newsletter.web")


def register(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(StoreError, _database_unavailable)
    app.register_error_handler(NewsletterError, _failed)


def _http_error(error: HTTPException) -> Response:
    code = error.code or 500
    if code < 400:  # a redirect raised as an exception (e.g. a missing trailing slash)
        return error.get_response()  # type: ignore[return-value]
    kind = "csrf" if isinstance(error, CsrfRefused) else str(code)
    response = _error_page(code, kind)
    retry_after = getattr(error, "retry_after", None)
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def _database_unavailable(error: StoreError) -> Response:
    # The details go to the server's log; a visitor gets one plain sentence.
    logger.error("%s", error)
    if request.blueprint in PLAIN_TEXT_AREAS:
        return Response(UNAVAILABLE, status=503, content_type="text/plain; charset=utf-8")
    response = _error_page(503, "503")
    response.headers["Retry-After"] = "60"
    return response


def _failed(error: NewsletterError) -> Response:
    logger.error("%s", error)  # e.g. the signing key cannot be read
    return _error_page(500, "500")


def _error_page(code: int, kind: str) -> Response:
    try:
        response = page("web/error.html", code, kind=kind, code=code)
    except Exception:  # the error page itself failed: say so plainly
        logger.exception("the error page could not be rendered")
        response = InternalServerError().get_response()  # type: ignore[assignment]
        response.status_code = code
    # An error inside the archive must not get the archive's looser policy.
    response.headers["Content-Security-Policy"] = PAGE_CSP
    return response
