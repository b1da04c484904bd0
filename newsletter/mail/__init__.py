"""Mail: building digest and confirmation messages, and delivering them exactly once.

``send_digest`` delivers a digest's deliveries, queued when it was built (from
`newsletter send` and `newsletter run`); ``send_confirmations`` mails the confirm links
of new subscriptions. Only this package speaks SMTP.
"""

from __future__ import annotations

from newsletter.mail.confirm import ConfirmationSent, send_confirmations
from newsletter.mail.report import SendReport
from newsletter.mail.sender import NoDigest, SendOptions, send_digest

__all__ = [
    "ConfirmationSent",
    "NoDigest",
    "SendOptions",
    "SendReport",
    "send_confirmations",
    "send_digest",
]
