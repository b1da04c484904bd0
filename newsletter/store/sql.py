"""The SQLAlchemy store: one class composed of one mixin per capability."""

from __future__ import annotations

from newsletter.store.feeds import FeedsSql
from newsletter.store.publish import PublishSql


class SqlStore(FeedsSql, PublishSql):
    """Implements :class:`newsletter.store.Store` (and each capability's store protocol)."""
