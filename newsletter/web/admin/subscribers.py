"""/admin/subscribers: search and filter, add (double opt-in), remove, export, each
subscriber's history and programmes, and erasure on request. Owners only."""

from __future__ import annotations

import io
from datetime import datetime

from flask import Response, abort, request
from werkzeug.wrappers import Response as BaseResponse

from newsletter.admin.programmes import enrolled
from newsletter.errors import NewsletterError
from newsletter.mail.confirm import send_confirmations
from newsletter.store.subscribers import SubscriberRecord, SubscriberSource, SubscriberState
from newsletter.subscribers import add_subscribers, remove_subscriber
from newsletter.subscribers.choosing import current_choice
from newsletter.subscribers.csvio import write_rows
from newsletter.subscribers.preferences import choice_lines, choice_totals, sections
from newsletter.web.admin.base import area, blueprint, done, log, page, store
from newsletter.web.services import services


def now() -> datetime:
    return services().clock()


STATES = ("pending", "active", "unsubscribed", "bounced")


@blueprint.get("/subscribers")
@area("subscribers")
def subscribers() -> BaseResponse:
    text = request.args.get("q", "").strip()[:320]
    state = request.args.get("state", "")
    state = state if state in STATES else ""
    counts = store().subscriber_counts()
    chosen = [(c.choice, c.frequency, c.paused, c.readers) for c in store().choice_counts(now())]
    available = sections(services().settings.feeds)
    return page(
        "admin/subscribers.html",
        found=store().search_subscribers(text, state or None, 200),
        q=text,
        state=state,
        states=STATES,
        counts=counts,
        choices=choice_lines(choice_totals(chosen), available, counts[SubscriberState.ACTIVE]),
    )


@blueprint.get("/subscribers/<int:subscriber_id>")
@area("subscribers")
def subscriber(subscriber_id: int) -> BaseResponse:
    found = _person(subscriber_id)
    available = sections(services().settings.feeds)
    labels = {s.key: s.label for s in available}
    choice = current_choice(found)
    return page(
        "admin/subscriber.html",
        person=found,
        history=store().subscriber_history(subscriber_id),
        choice=choice,
        off=sorted(labels.get(key, key) for key in choice.off),
        paused=choice.paused(now()),
        changes=store().subscriber_events(subscriber_id),
        programmes=enrolled(store(), subscriber_id, services().programmes()),
    )


@blueprint.post("/subscribers/add")
@area("subscribers")
def subscriber_add() -> BaseResponse:
    ctx = services()
    try:
        email = request.form.get("email", "")
        added = add_subscribers(store(), [email], False, ctx.clock(), SubscriberSource.CLI)
    except NewsletterError as exc:
        return done("admin.subscribers", str(exc))
    pending = [a.subscriber for a in added if a.send_confirmation]
    sent = send_confirmations(ctx.settings, store(), pending, ctx.clock)
    for item in added:
        log("added subscriber", item.email)
    failed = [s.error for s in sent if not s.ok]
    note = f"; the confirmation email failed: {failed[0]}" if failed else ""
    return done("admin.subscribers", "; ".join(f"{a.email}: {a.note}" for a in added) + note)


@blueprint.post("/subscribers/<int:subscriber_id>/remove")
@area("subscribers")
def subscriber_remove(subscriber_id: int) -> BaseResponse:
    found = _person(subscriber_id)
    said = remove_subscriber(store(), found.email, services().clock())
    log("removed subscriber", found.email)
    return done("admin.subscriber", said, subscriber_id=subscriber_id)


@blueprint.post("/subscribers/<int:subscriber_id>/erase")
@area("subscribers")
def subscriber_erase(subscriber_id: int) -> BaseResponse:
    found = store().subscriber_by_id(subscriber_id)
    if found is None or request.form.get("confirm") != "erase":
        return done("admin.subscriber", "tick the box to erase", subscriber_id=subscriber_id)
    store().erase_subscriber(subscriber_id, services().clock())
    # The log names no address: erasing a person erases them from the log's subject too.
    log("erased subscriber", f"#{subscriber_id} on request")
    return done("admin.subscribers", "erased; a hashed entry keeps them from coming back")


@blueprint.get("/subscribers.csv")
@area("subscribers")
def subscribers_csv() -> BaseResponse:
    out = io.StringIO()
    write_rows(store().iter_subscribers(), out)
    log("exported subscribers", "")
    response = Response(out.getvalue(), content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = 'attachment; filename="subscribers.csv"'
    return response


def _person(subscriber_id: int) -> SubscriberRecord:
    found = store().subscriber_by_id(subscriber_id)
    if found is None:
        abort(404)
    return found
