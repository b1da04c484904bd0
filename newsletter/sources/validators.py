"""HTTP validators (ETag, Last-Modified) we are willing to keep and send back.

A server's validator is stored and repeated on every later request. One we cannot send
(non-ASCII: HTTP clients refuse to encode it) or that the store cannot hold would break the
feed for good, so such a value is dropped at the edge: the feed is then simply fetched
unconditionally, which is always correct.
"""

from __future__ import annotations

# The widths of feeds.etag and feeds.last_modified (tests check they agree).
ETAG_LIMIT = 1024
LAST_MODIFIED_LIMIT = 200


def usable(value: str | None, limit: int) -> str | None:
    """``value`` when it is printable ASCII of at most ``limit`` characters, else None."""
    if value is None:
        return None
    value = value.strip()
    if not value or len(value) > limit or not value.isascii() or not value.isprintable():
        return None
    return value
