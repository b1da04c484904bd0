"""Whether signed links have left the building: the signing key is then irreplaceable."""

from __future__ import annotations

from sqlalchemy import exists, or_, select

from newsletter.store.base import SqlBase
from newsletter.store.models import Delivery, Subscriber

# A delivery in these states may have reached its reader, with its unsubscribe link.
OUT_OF_OUR_HANDS = ("sending", "sent", "unknown")


class LinksSql(SqlBase):
    def links_sent(self) -> bool:
        """True once any email carrying a signed link (confirm or unsubscribe) may have
        been delivered: a confirmation was sent, or a digest delivery went out."""
        confirmed = exists().where(Subscriber.confirm_sent_at.is_not(None))
        delivered = exists().where(Delivery.state.in_(OUT_OF_OUR_HANDS))
        with self._session() as session:
            return bool(session.scalar(select(or_(confirmed, delivered))))
