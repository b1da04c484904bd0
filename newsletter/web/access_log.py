"""An access log in the Combined Log Format, one line per response.

waitress keeps none, and behind a reverse proxy the proxy's own log is not enough: it
cannot say which visitor the app took a request for (the address its rate limits count,
after ProxyFix). The paths of confirm and unsubscribe links hold a signed token, which
is as good as a password for that address: they are logged as their route
(``/confirm/<token>``), never with the token.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from flask import Flask, Response, request

from newsletter.web.services import services

logger = logging.getLogger("newsletter.web.access")
SECRET_PATHS = frozenset({"links"})  # blueprints whose URLs carry a token


def register(app: Flask) -> None:
    app.after_request(_log)


def log_to(stream: TextIO | None = None) -> logging.Handler:
    """Write the access log to ``stream`` (default: standard output, which systemd's
    journal keeps), once however often it is called."""
    for handler in logger.handlers:
        if getattr(handler, "newsletter_access", False):
            return handler
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.newsletter_access = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return handler


def line(response: Response) -> str:
    """The Combined Log Format line of this request and its ``response``."""
    when = services().clock().strftime("%d/%b/%Y:%H:%M:%S +0000")
    size = response.content_length
    protocol = request.environ.get("SERVER_PROTOCOL", "HTTP/1.1")
    return (
        f"{request.remote_addr or '-'} - - [{when}] "
        f'"{request.method} {_quoted(_path())} {protocol}" {response.status_code} '
        f"{size if size is not None else '-'} "
        f'"{_quoted(request.referrer or "-")}" "{_quoted(request.user_agent.string or "-")}"'
    )


def _log(response: Response) -> Response:
    if logger.isEnabledFor(logging.INFO):
        logger.info("%s", line(response))
    return response


def _path() -> str:
    if request.blueprint in SECRET_PATHS and request.url_rule is not None:
        return request.script_root + request.url_rule.rule
    query = request.query_string.decode("latin-1")
    return request.script_root + request.path + (f"?{query}" if query else "")


def _quoted(text: str) -> str:
    # One line per request, whatever a client sends: no quotes or control characters.
    return "".join(c if c.isprintable() and c != '"' else f"\\x{ord(c):02x}" for c in text)
