"""The confirmation email of a new subscription, through the same transport as digests."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from newsletter.config import Settings
from newsletter.mail.composer import Composer, text_and_html
from newsletter.mail.headers import mailbox
from newsletter.mail.message import simple_message
from newsletter.mail.transport import (
    Envelope,
    FatalFailure,
    TransientFailure,
    Transport,
    transport_factory,
)
from newsletter.store import SqlStore
from newsletter.store.subscribers import SubscriberRecord
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
    store: SqlStore,
    subscribers: Sequence[SubscriberRecord],
    clock: Callable[[], datetime],
    transport: Transport | None = None,
) -> list[ConfirmationSent]:
    """Email each pending subscriber a link to confirm (templates email/confirm.txt and
    email/confirm.html), and note when it went out."""
    if not subscribers:
        return []
    compose = ConfirmationComposer(settings)
    transport = transport or transport_factory(settings.env.smtp_url, settings.env.outbox)()
    results = []
    try:
        for subscriber in subscribers:
            result = _send(transport, compose(subscriber, clock()), subscriber)
            if result.ok:
                store.mark_confirmation_sent(subscriber.id, clock())
            results.append(result)
    finally:
        transport.close()
    return results


class ConfirmationComposer(Composer):
    """Builds (and, with DKIM configured, signs) one subscriber's confirmation email."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.site = settings.site
        self.environment = make_environment(settings.root)
        self.links = Links(
            settings.env.base_url, load_tokens(settings.env.secret_key, settings.db_dir)
        )

    def __call__(self, subscriber: SubscriberRecord, now: datetime) -> Envelope:
        context = {
            "site": self.site,
            "email": subscriber.email,
            "email_shown": breakable(subscriber.email),
            "name": subscriber.name,
            "confirm_url": self.links.confirm(subscriber.id, subscriber.email_key),
        }
        text, html = text_and_html(self.environment, "confirm", context)
        subject = f"Please confirm your subscription to {self.site.title}"
        to = mailbox(subscriber.name, subscriber.email)
        data, message_id = simple_message(self.sender, to, subject, text, html, now)
        return self.envelope(data, message_id, subscriber.email, now, ("confirm", subscriber.id))


def breakable(text: str, run: int = 20) -> str:
    """``text`` with zero-width spaces after each @ and dot and inside any longer run, so
    a long address wraps on a phone even in clients without word-break (Yahoo, Outlook)."""
    out, since = [], 0
    for char in text:
        out.append(char)
        since += 1
        if char in "@." or since >= run:
            out.append("\u200b")
            since = 0
    return "".join(out).rstrip("\u200b")


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
