"""Subscribers: addresses, states, CSV import and export, and the signed links of emails.

States and their changes are pure decisions (``states``); ``service`` applies them through
the store; ``tokens`` signs the confirm and unsubscribe links the web app verifies.
"""

from newsletter.subscribers.address import Address, InvalidAddress, normalize_address
from newsletter.subscribers.service import (
    Added,
    ImportReport,
    InvalidLink,
    NotSubscribed,
    add_subscribers,
    confirm_subscription,
    import_subscribers,
    linked_subscriber,
    remove_subscriber,
    unsubscribe_with_token,
)
from newsletter.subscribers.tokens import Links, Tokens, load_tokens

__all__ = [
    "Added",
    "Address",
    "ImportReport",
    "InvalidAddress",
    "InvalidLink",
    "Links",
    "NotSubscribed",
    "Tokens",
    "add_subscribers",
    "confirm_subscription",
    "import_subscribers",
    "linked_subscriber",
    "load_tokens",
    "normalize_address",
    "remove_subscriber",
    "unsubscribe_with_token",
]
