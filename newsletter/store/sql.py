"""The SQLAlchemy store: one class composed of one mixin per capability."""

from __future__ import annotations

from newsletter.store.delivery import DeliverySql
from newsletter.store.digests import DigestSql
from newsletter.store.feeds import FeedsSql
from newsletter.store.publish import PublishSql
from newsletter.store.questions import QuestionsSql
from newsletter.store.signup import SignupSql


class SqlStore(FeedsSql, PublishSql, DigestSql, DeliverySql, QuestionsSql, SignupSql):
    """Implements :class:`newsletter.store.Store` (and each capability's store protocol)."""
