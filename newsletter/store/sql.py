"""The SQLAlchemy store: one class composed of one mixin per capability."""

from __future__ import annotations

from newsletter.store.feeds import FeedsSql


class SqlStore(FeedsSql):
    """Implements :class:`newsletter.store.Store` (and each capability's store protocol)."""
