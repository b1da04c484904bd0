"""A digest's size as sent, for the renderer's budget (see :func:`message.sent_size`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from newsletter.config import Newsletter, Settings
from newsletter.mail.message import DigestMessage, Sender, sent_size, with_site_url
from newsletter.subscribers.tokens import Links, Tokens

SizeOf = Callable[[str, str, str], int]  # (subject, text, html) -> bytes as sent
MAX_LOCAL_PART = 64  # RFC 5321
_ANY_DATE = datetime(2000, 1, 1, tzinfo=UTC)


def unsubscribe_mailbox(newsletter: Newsletter) -> str | None:
    """The mailbox List-Unsubscribe's mailto: writes to (as local+TOKEN@domain):
    newsletter.unsubscribe_address, else the From address; None when its local part
    leaves no room for a token. Not the bounce address: its local+TOKEN addresses are the
    VERP return paths, and `bounces fetch` must not take a bounce for an unsubscribe."""
    address = newsletter.unsubscribe_address
    if address is None:
        address = Sender.parse(newsletter.sender).address
    local = address.rpartition("@")[0]
    token = len(Tokens("x" * 16).make("unsubscribe", 1, "x"))
    return address if len(local) + 1 + token <= MAX_LOCAL_PART else None


def digest_size(settings: Settings) -> SizeOf:
    """Measures a rendered digest as the biggest message any subscriber gets."""
    sender = Sender.parse(settings.newsletter.sender)
    links = Links(settings.env.base_url, Tokens("x" * 16), unsubscribe_mailbox(settings.newsletter))
    url, mailto = links.unsubscribe_ways(1, "x")  # tokens have one length
    preferences = links.preferences(1, "x")

    def size(subject: str, text: str, html: str) -> int:
        # The site's links (the picture's among them) as sent: on the base URL, not the
        # shorter placeholder they are stored with.
        base = settings.env.base_url
        text, html = with_site_url(text, base), with_site_url(html, base)
        message = DigestMessage(sender, settings.site.title, subject, text, html, _ANY_DATE)
        return sent_size(message, url, mailto, preferences)

    return size
