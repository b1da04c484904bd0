"""Signing up (the web form's logic), over ``newsletter.subscribers`` and ``newsletter.mail``.

The subscribe form answers the same whatever the address's state (new, pending, active,
unsubscribed), so nobody can learn who is subscribed. What differs is done after the answer
is sent: the programmes the form asked for kept until the address is confirmed, and a
confirmation email, at most one per address per :data:`CONFIRM_INTERVAL`, so the form
cannot be used to flood someone's inbox.

Deciding that an email is due and recording that it went are one compare-and-set in the
store (:meth:`~newsletter.store.SqlStore.claim_confirmation`): two sign-ups of one
address arriving together send one email. A send that fails gives the claim back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from newsletter.config import Settings
from newsletter.mail import ConfirmationSent, send_confirmations
from newsletter.mail.transport import Transport
from newsletter.programmes.model import Programme
from newsletter.store import SqlStore
from newsletter.store.subscribers import SubscriberRecord, SubscriberSource, SubscriberState
from newsletter.subscribers.service import add_subscribers

CONFIRM_INTERVAL = timedelta(hours=24)


@dataclass(frozen=True)
class Signup:
    """What the form's answer leaves to do: who may need a confirmation email."""

    to_confirm: int | None  # subscriber id; None: nothing to send (already active)


def sign_up(store: SqlStore, email: str, now: datetime) -> Signup:
    """Add ``email`` as the subscribers' state machine decides (new, pending, unsubscribed
    and bounced addresses become pending; active ones stay). Raises InvalidAddress."""
    [added] = add_subscribers(store, [email], confirmed=False, now=now, source=SubscriberSource.WEB)
    record = added.subscriber
    if not added.send_confirmation:
        # An active address is left as it is, which would answer a little sooner than the
        # other states (they write their row). This UPDATE matches no row (the address is
        # not pending) but costs what their write costs: the timing tells nothing either.
        store.claim_confirmation(record.id, record.confirm_sent_at, now)
    return Signup(record.id if added.send_confirmation else None)


def confirm_later(
    settings: Settings,
    store: SqlStore,
    subscriber_id: int,
    wished: Sequence[Programme],
    clock: Callable[[], datetime],
) -> ConfirmationSent | None:
    """What the form leaves for after its answer: keep the programmes ticked ("Also start
    …") until the address is confirmed, then email the confirm link if due."""
    now = clock()
    for programme in wished:
        store.wish_programme(subscriber_id, programme.key, now)
    return send_confirmation_if_due(settings, store, subscriber_id, clock)


def confirmation_due(subscriber: SubscriberRecord, now: datetime) -> bool:
    """Pending, and no confirmation email went to it in the last interval."""
    last = subscriber.confirm_sent_at
    return subscriber.state == SubscriberState.PENDING and (
        last is None or now - last >= CONFIRM_INTERVAL
    )


def send_confirmation_if_due(
    settings: Settings,
    store: SqlStore,
    subscriber_id: int,
    clock: Callable[[], datetime],
    transport: Transport | None = None,
) -> ConfirmationSent | None:
    """Email the confirm link unless one went out within the interval (None: not sent)."""
    subscriber = store.subscriber_by_id(subscriber_id)
    now = clock()
    if subscriber is None or not confirmation_due(subscriber, now):
        return None
    previous = subscriber.confirm_sent_at
    if not store.claim_confirmation(subscriber_id, previous, now):
        return None  # another request claimed it first, or the person confirmed meanwhile
    try:
        [sent] = send_confirmations(settings, store, [subscriber], clock, transport)
    except BaseException:
        # Whatever stopped the email (a template, a DKIM key, the database), the claim must
        # not outlive it: the person would wait a day for a confirmation never sent.
        store.release_confirmation(subscriber_id, now, previous)
        raise
    if not sent.ok:
        store.release_confirmation(subscriber_id, now, previous)
        # The visitor has their answer already (the email goes after it, so that its
        # timing tells nothing about the address): the owner must hear of it.
        logging.getLogger("newsletter.web").warning(
            "the confirmation email to subscriber %d could not be sent: %s",
            subscriber_id,
            sent.error,
        )
    return sent
