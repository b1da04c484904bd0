"""``send a test to me``: one digest to the signed-in owner, through the configured
transport (SMTP, or the outbox), never recorded as a delivery."""

from __future__ import annotations

from datetime import datetime

from newsletter.config import Settings
from newsletter.errors import NewsletterError
from newsletter.mail.message import Sender, simple_message
from newsletter.mail.transport import (
    Envelope,
    FatalFailure,
    TransientFailure,
    Transport,
    transport_factory,
)

TEST_PREFIX = "[Test] "


class TestNotSent(NewsletterError):
    """The transport did not take the test message."""

    __test__ = False  # not a pytest test class, whatever its name


def send_test_digest(
    settings: Settings,
    to: str,
    subject: str,
    text: str,
    html: str,
    now: datetime,
    transport: Transport | None = None,
) -> str:
    """Send the digest to ``to`` alone; the server's reply, or TestNotSent."""
    sender = Sender.parse(settings.newsletter.sender)
    data, message_id = simple_message(sender, to, TEST_PREFIX + subject, text, html, now)
    transport = transport or transport_factory(settings)()
    try:
        reply = transport.send(Envelope(sender.address, to, data, message_id))
    except (TransientFailure, FatalFailure) as exc:
        raise TestNotSent(f"the test was not sent: {exc}") from None
    finally:
        transport.close()
    if not 200 <= reply.code < 300:
        raise TestNotSent(f"the test was refused: {reply}")
    return str(reply)
