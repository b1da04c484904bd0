"""The confirmation email of a new subscription, through the same transport as digests."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from newsletter.config import Settings
from newsletter.mail.headers import mailbox
from newsletter.mail.message import Sender, simple_message
from newsletter.mail.transport import (
    Envelope,
    FatalFailure,
    TransientFailure,
    Transport,
    transport_factory,
)
from newsletter.store.delivery import DeliveryStore
from newsletter.store.delivery_types import SubscriberRecord
from newsletter.subscribers.tokens import Links, load_tokens
from newsletter.templating import make_environment


@dataclass(frozen=True)
class ConfirmationSent:
    subscriber: SubscriberRecord
    error: str | None = None  # None: the server (or the outbox) took it

    @property
    def ok(self) -> bool:
        return self.error is None


def send_confirmations(
    settings: Settings,
    store: DeliveryStore,
    subscribers: Sequence[SubscriberRecord],
    clock: Callable[[], datetime],
    transport: Transport | None = None,
) -> list[ConfirmationSent]:
    """Email each pending subscriber a link to confirm (templates email/confirm.txt and
    email/confirm.html), and note when it went out."""
    if not subscribers:
        return []
    environment = make_environment(settings.root)
    links = Links(settings.env.base_url, load_tokens(settings))
    sender = Sender.parse(settings.newsletter.sender)
    transport = transport or transport_factory(settings)()
    results = []
    try:
        for subscriber in subscribers:
            context = {
                "site": settings.site,
                "email": subscriber.email,
                "name": subscriber.name,
                "confirm_url": links.confirm(subscriber.id, subscriber.email_key),
            }
            text = environment.get_template("email/confirm.txt").render(context)
            html = environment.get_template("email/confirm.html").render(context)
            subject = f"Please confirm your subscription to {settings.site.title}"
            to = mailbox(subscriber.name, subscriber.email)
            data, message_id = simple_message(sender, to, subject, text, html, clock())
            results.append(
                _send(
                    transport,
                    Envelope(sender.address, subscriber.email, data, message_id),
                    subscriber,
                )
            )
            if results[-1].ok:
                store.mark_confirmation_sent(subscriber.id, clock())
    finally:
        transport.close()
    return results


def _send(
    transport: Transport, envelope: Envelope, subscriber: SubscriberRecord
) -> ConfirmationSent:
    try:
        reply = transport.send(envelope)
    except (TransientFailure, FatalFailure) as exc:
        return ConfirmationSent(subscriber, str(exc))
    if 200 <= reply.code < 300:
        return ConfirmationSent(subscriber)
    return ConfirmationSent(subscriber, f"refused: {reply}")
