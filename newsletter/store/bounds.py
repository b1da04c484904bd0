"""Values fitted to the columns the models declare, at the store's edge.

SQLite ignores ``VARCHAR(n)``; PostgreSQL refuses a longer value and with it the whole
transaction (one feed title of 501 characters once stopped every collect). So every write
of outside text passes through :func:`fit`: over-long text is cut to the column's width
(a feed address is left as it was), and NUL, which PostgreSQL cannot store in text at
all, is removed. A validator (ETag, Last-Modified) is never cut, since a cut one is a
wrong one: it is dropped instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from sqlalchemy import String

from newsletter.store.models import Base, Feed

FEEDS = Feed.__tablename__
# A cut (or otherwise edited) validator is a wrong one: dropped, the next fetch is
# unconditional.
DROP_WHEN_TOO_LONG = frozenset({(FEEDS, "etag"), (FEEDS, "last_modified")})
# A cut address is a wrong one: the value stays as it was (a redirect not followed for good).
KEEP_WHEN_TOO_LONG = frozenset({(FEEDS, "url")})


@cache
def widths(model: type[Base]) -> dict[str, int | None]:
    """Each text column of ``model`` and its declared length (None: unbounded)."""
    return {
        column.name: column.type.length
        for column in model.__table__.columns
        if isinstance(column.type, String)
    }


def fit(model: type[Base], values: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``values`` that ``model``'s table accepts on every backend."""
    table = model.__tablename__
    bounded = widths(model)
    fitted = dict(values)
    for name, value in values.items():
        if not isinstance(value, str) or name not in bounded:
            continue
        if "\x00" in value:
            if (table, name) in DROP_WHEN_TOO_LONG:  # an edited validator is a wrong one
                fitted[name] = None
                continue
            value = value.replace("\x00", "")
        width = bounded[name]
        if width is not None and len(value) > width:
            if (table, name) in KEEP_WHEN_TOO_LONG:
                del fitted[name]
                continue
            value = None if (table, name) in DROP_WHEN_TOO_LONG else value[:width]
        fitted[name] = value
    return fitted
