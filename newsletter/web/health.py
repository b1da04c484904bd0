"""``/healthz``: is the app up, and can it read its database?"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from newsletter.errors import StoreError
from newsletter.web.services import services

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz() -> tuple[Response, int]:
    try:
        run = services().store().last_run()
    except StoreError:
        return jsonify(status="error", database="unavailable"), 503
    last_run = run.finished_at.isoformat() if run and run.finished_at else None
    response = jsonify(status="ok", database="ok", last_run=last_run)
    response.headers["Cache-Control"] = "no-store"
    return response, 200
