"""The web app: a Flask application factory, one blueprint per area.

``create_app`` only wires things together: it opens nothing and reads nothing until the
first request that needs it, so importing this package (or building an app for a test)
costs no I/O. Each area registers its own blueprint here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import Flask, Response, current_app

from newsletter.config import Settings
from newsletter.errors import StoreError
from newsletter.store import SqlStore
from newsletter.web import archive, feeds, health
from newsletter.web.services import Services, utc_now

__all__ = ["create_app"]


def create_app(
    settings: Settings,
    store: SqlStore | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Flask:
    """The app for ``settings``. Without ``store``, the configured database is opened on
    first use (and closed by :func:`newsletter.web.services.close`); ``clock`` defaults to
    the real UTC time."""
    app = Flask(__name__, static_folder=None)
    app.extensions[Services.KEY] = Services(settings, store, clock or utc_now)
    for blueprint in (feeds.blueprint, archive.blueprint, health.blueprint):
        app.register_blueprint(blueprint)
    app.register_error_handler(StoreError, _database_unavailable)
    return app


def _database_unavailable(error: StoreError) -> Response:
    # The details go to the server's log; a visitor gets one plain sentence.
    current_app.logger.error("%s", error)
    text = "The site's database is not available right now; please try again shortly.\n"
    return Response(text, status=503, content_type="text/plain; charset=utf-8")
