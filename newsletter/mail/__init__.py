"""Mail: building digest and confirmation messages, and delivering them exactly once.

``queue_deliveries`` freezes a digest's audience when it is built; ``send_digest`` delivers
it (from `newsletter send` and `newsletter run`); ``send_confirmations`` mails the confirm
links of new subscriptions. Only this package speaks SMTP.
"""

from __future__ import annotations

from datetime import datetime

from newsletter.mail.confirm import ConfirmationSent, send_confirmations
from newsletter.mail.report import SendReport
from newsletter.mail.sender import NoDigest, send_digest
from newsletter.store.delivery import DeliveryStore

__all__ = [
    "ConfirmationSent",
    "NoDigest",
    "SendReport",
    "queue_deliveries",
    "send_confirmations",
    "send_digest",
]


def queue_deliveries(store: DeliveryStore, digest_id: int, now: datetime) -> int:
    """One pending delivery per active subscriber, for a digest just built: its audience,
    frozen now (one INSERT … SELECT, flat in memory for any list). Calling it again adds
    only subscribers not queued yet. Returns how many deliveries were added."""
    return store.queue_deliveries(digest_id, now)
