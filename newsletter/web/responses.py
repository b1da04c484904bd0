"""Responses that caches and feed readers can trust: ETag, Last-Modified, 304."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from flask import Response, abort, request

from newsletter.publish import RenderedFile
from newsletter.web.services import services

HTML = "text/html; charset=utf-8"
PNG = "image/png"
MAX_AGE = 300  # seconds a cache may reuse a feed before asking again (then a cheap 304)


def published_or_rendered(
    name: str, content_type: str, render: Callable[[], RenderedFile | None]
) -> Response:
    """The file ``publish`` wrote, else the same bytes rendered from the store, else 404."""
    found = _published(services().public_dir / name)
    if found is None:
        found = render()
    if found is None:
        abort(404)
    return conditional(found, content_type)


def conditional(found: RenderedFile, content_type: str) -> Response:
    response = Response(found.data, content_type=content_type)
    # A strong ETag of the bytes: the same for the published file and the rendered one.
    response.set_etag(hashlib.sha256(found.data).hexdigest()[:32])
    response.last_modified = found.updated
    response.cache_control.public = True
    response.cache_control.max_age = MAX_AGE
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.make_conditional(request)  # 304 to If-None-Match / If-Modified-Since
    return response


def _published(path: Path) -> RenderedFile | None:
    try:
        data = path.read_bytes()
        modified = path.stat().st_mtime
    except (FileNotFoundError, NotADirectoryError):
        return None
    # publish never rewrites an unchanged file, so its modification time is when it changed.
    updated = datetime.fromtimestamp(int(modified), UTC)
    return RenderedFile(data, updated)
