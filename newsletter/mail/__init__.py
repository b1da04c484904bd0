"""Mail: building digest and confirmation messages, and delivering them exactly once.

``send_digest`` delivers a digest's deliveries, queued when it was built (from
`newsletter send` and `newsletter run`); ``send_confirmations`` mails the confirm links
of new subscriptions. Only this package speaks SMTP.

The names below load their modules on first use: a command that needs one small part of
mail (`status` and its deliverability lines) does not pay for the sender, SMTP and DKIM.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from newsletter.lazy import first_use

if TYPE_CHECKING:
    from newsletter.mail.confirm import ConfirmationSent, send_confirmations
    from newsletter.mail.report import SendReport
    from newsletter.mail.sender import NoDigest, SendOptions, send_digest

_HOMES = {
    "ConfirmationSent": "newsletter.mail.confirm",
    "send_confirmations": "newsletter.mail.confirm",
    "SendReport": "newsletter.mail.report",
    "NoDigest": "newsletter.mail.sender",
    "SendOptions": "newsletter.mail.sender",
    "send_digest": "newsletter.mail.sender",
}

__all__ = [
    "ConfirmationSent",
    "NoDigest",
    "SendOptions",
    "SendReport",
    "send_confirmations",
    "send_digest",
]

__getattr__ = first_use(__name__, _HOMES)
