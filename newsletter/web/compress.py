"""gzip for text responses (pages, feeds, the stylesheet) when the client accepts it.

A response that could be compressed says ``Vary: Accept-Encoding`` whether or not it was,
so a shared cache never hands gzip to a client that did not ask for it. A compressed
response's ETag becomes weak (as nginx's gzip does): the bytes differ from the plain
ones, the content does not, and If-None-Match compares weakly, so either form of the
tag still earns a 304. gzip runs with a fixed timestamp: the same page gives the same
bytes.
"""

from __future__ import annotations

import gzip

from flask import Flask, Response, request

from newsletter.formats import DIGESTS, FORMATS

TEXT_TYPES = frozenset(
    {
        *(feed.media_type for feed in (*FORMATS, DIGESTS)),
        "application/json",
        "application/xml",
        "image/svg+xml",
    }
)
MIN_BYTES = 256  # below this, the gzip header eats what compression saves
LEVEL = 6  # zlib's default: nearly the size of 9 at a fraction of the time


def register(app: Flask) -> None:
    app.after_request(compress)


def compressible(content_type: str | None) -> bool:
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    return kind.startswith("text/") or kind in TEXT_TYPES


def compress(response: Response) -> Response:
    if response.status_code == 304:
        if _accepts_gzip():
            _weaken_etag(response)  # the tag the 200 would have carried
        return response
    if not compressible(response.content_type):
        return response
    response.vary.add("Accept-Encoding")
    if (
        response.direct_passthrough
        or response.is_streamed
        or "Content-Encoding" in response.headers
        or not _accepts_gzip()
    ):
        return response
    data = response.get_data()
    if len(data) < MIN_BYTES:
        return response
    response.set_data(gzip.compress(data, compresslevel=LEVEL, mtime=0))
    response.headers["Content-Encoding"] = "gzip"
    _weaken_etag(response)
    return response


def _accepts_gzip() -> bool:
    return request.accept_encodings["gzip"] > 0


def _weaken_etag(response: Response) -> None:
    tag, weak = response.get_etag()
    if tag is not None and not weak:
        response.set_etag(tag, weak=True)
