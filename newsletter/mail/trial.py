"""``send a test to me``: one digest to the signed-in owner, through the configured
transport (SMTP, or the outbox), never recorded as a delivery."""

from __future__ import annotations

from datetime import datetime

from newsletter.errors import NewsletterError
from newsletter.mail.message import Sender, simple_message
from newsletter.mail.transport import (
    Envelope,
    FatalFailure,
    TransientFailure,
    Transport,
)

TEST_PREFIX = "[Test] "


class TestNotSent(NewsletterError):
    """The transport did not take the test message."""

    __test__ = False  # not a pytest test class, whatever its name


def send_test_digest(
    sender: str,
    to: str,
    subject: str,
    text: str,
    html: str,
    now: datetime,
    transport: Transport,
) -> str:
    """Send the digest from ``sender`` (newsletter.sender, "Name <address>") to ``to``
    alone, through ``transport`` (closed once done); the server's reply, or TestNotSent."""
    parsed = Sender.parse(sender)
    data, message_id = simple_message(parsed, to, TEST_PREFIX + subject, text, html, now)
    try:
        reply = transport.send(Envelope(parsed.address, to, data, message_id))
    except (TransientFailure, FatalFailure) as exc:
        raise TestNotSent(f"the test was not sent: {exc}") from None
    finally:
        transport.close()
    if not 200 <= reply.code < 300:
        raise TestNotSent(f"the test was refused: {reply}")
    return str(reply)
