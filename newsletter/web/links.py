"""The links of emails: confirm, unsubscribe, and the reader's preferences (with their
programmes, in its ``#programme`` section: join, pause, resume, leave, start again).

A GET only shows a page with a button, because mail systems and link scanners open every
link in a message; the POST of that button acts. The unsubscribe URL also takes the
RFC 8058 one-click POST that mail clients send on their own (no cookie, no form token) and
answers it with a 200, never a redirect. A bad token gets the generic 404 page, and counts
against the address's limit of token guesses (``RateLimits.links``).
"""

from __future__ import annotations

from functools import partial
from typing import Any, NoReturn

from flask import Blueprint, Response, abort, request, url_for

from newsletter.digest.welcome import welcome_readers
from newsletter.programmes.model import Programme
from newsletter.programmes.readers import act, action_of, places, start_wished
from newsletter.store.subscribers import SubscriberRecord, SubscriberState
from newsletter.subscribers import (
    InvalidLink,
    confirm_subscription,
    linked_subscriber,
    unsubscribe_with_token,
)
from newsletter.subscribers.choosing import BadChoice, current_choice, read_form, save_choice
from newsletter.subscribers.preferences import PAUSE_WEEKS, Choice, sections
from newsletter.subscribers.service import MAX_TOKEN
from newsletter.subscribers.tokens import Links, Purpose
from newsletter.web.pages import after_response, page
from newsletter.web.security import (
    csrf_exempt,
    refuse_if_limited,
    require_csrf,
    spend_rate_limit,
    token_headers,
)
from newsletter.web.services import services

blueprint = Blueprint("links", __name__)
blueprint.after_request(token_headers)  # every answer here, errors included
# Token guesses are limited: an address that sent too many bad links is refused before its
# next token is even read; a valid link spends nothing.
blueprint.before_request(lambda: refuse_if_limited("links"))


@blueprint.get("/confirm/<token>")
def confirm_page(token: str) -> Response:
    subscriber = _linked("confirm", token)
    return page("web/confirm.html", noindex=True, email=subscriber.email, state=subscriber.state)


@blueprint.post("/confirm/<token>")
def confirm(token: str) -> Response:
    ctx = services()
    try:
        found = confirm_subscription(ctx.store(), ctx.tokens(), _checked(token), ctx.clock())
    except InvalidLink:
        _bad_link()
    links = Links(ctx.settings.env.base_url, ctx.tokens())
    started: list[Programme] = []
    if found.state == SubscriberState.ACTIVE:  # the programmes asked for on signing up
        started = start_wished(
            ctx.settings.newsletter, ctx.store(), found.id, ctx.programmes(), ctx.clock()
        )
    response = page(
        "web/confirmed.html",
        noindex=True,
        email=found.email,
        state=found.state,
        preferences_url=links.preferences(found.id, found.email_key),
        started=[p.key for p in started],
        **_programmes(found),
    )
    if found.state == SubscriberState.ACTIVE:
        # The welcome (when confirming owed one) goes after the answer: a mail server that
        # is down cannot fail the page, and `run` sends it later.
        offers = [(p.key, p.title, p.summary) for p in ctx.programmes()]
        welcome = partial(welcome_readers, ctx.settings, ctx.store(), ctx.clock, found.id, offers)
        after_response(response, welcome)
    return response


@blueprint.get("/unsubscribe/<token>")
def unsubscribe_page(token: str) -> Response:
    subscriber = _linked("unsubscribe", token)
    return page(
        "web/unsubscribe.html", noindex=True, email=subscriber.email, state=subscriber.state
    )


@blueprint.post("/unsubscribe/<token>")
@csrf_exempt  # RFC 8058 one-click POSTs carry no cookie; the URL's signed token proves it
def unsubscribe(token: str) -> Response:
    if request.form.get("List-Unsubscribe") != "One-Click":
        require_csrf()  # the page's button; the one-click POST needs only the token
    ctx = services()
    try:
        found = unsubscribe_with_token(ctx.store(), ctx.tokens(), _checked(token), ctx.clock())
    except InvalidLink:
        _bad_link()
    return page("web/unsubscribed.html", noindex=True, email=found.email)


@blueprint.get("/preferences/<token>")
def preferences_page(token: str) -> Response:
    subscriber = _linked("preferences", token)
    return _preferences(subscriber, token, current_choice(subscriber))


@blueprint.post("/preferences/<token>")
def preferences(token: str) -> Response:
    subscriber = _linked("preferences", token)
    ctx = services()
    available = sections(ctx.settings.feeds)
    now = ctx.clock()
    try:
        submitted = read_form(
            request.form.get, request.form.getlist, available, current_choice(subscriber), now
        )
    except BadChoice:
        abort(400)
    if submitted.choice is None:  # everything off: no empty digests; offer to leave
        links = Links(ctx.settings.env.base_url, ctx.tokens())
        return page(
            "web/preferences_all_off.html",
            noindex=True,
            email=subscriber.email,
            unsubscribe_url=links.unsubscribe(subscriber.id, subscriber.email_key),
            preferences_url=links.preferences(subscriber.id, subscriber.email_key),
        )
    saved = save_choice(ctx.store(), subscriber, submitted.choice, now, available)
    return _preferences(subscriber, token, submitted.choice, saved=saved)


@blueprint.post("/preferences/<token>/programme")
def programme(token: str) -> Response:
    """A button of the page's #programme section; someone no longer subscribed, a form
    sent twice or one shown before another change changes nothing."""
    subscriber = _linked("preferences", token)
    ctx = services()
    chosen = ctx.programme(request.form.get("programme", ""))
    action = action_of(request.form.get("action", ""))
    if chosen is None or action is None:
        abort(400)
    done = None
    if subscriber.state == SubscriberState.ACTIVE:
        seen = request.form.get("seen", "")
        changed = act(
            ctx.settings.newsletter, ctx.store(), subscriber.id, chosen, action, seen, ctx.clock()
        )
        done = {"programme": chosen.key, "action": action, "changed": changed}
    return _preferences(subscriber, token, current_choice(subscriber), done=done)


def _preferences(
    subscriber: SubscriberRecord,
    token: str,
    choice: Choice,
    saved: bool | None = None,
    done: dict[str, object] | None = None,
) -> Response:
    ctx = services()
    return page(
        "web/preferences.html",
        noindex=True,
        email=subscriber.email,
        active=subscriber.state == SubscriberState.ACTIVE,
        choice=choice,
        available=sections(ctx.settings.feeds),
        paused=choice.paused(ctx.clock()),
        pause_weeks=PAUSE_WEEKS,
        saved=saved,
        done=done,
        **_programmes(subscriber),
    )


def _programmes(subscriber: SubscriberRecord) -> dict[str, Any]:
    """What a page shows of the reader's programmes: their place in each, and where the
    buttons post (none for someone not subscribed)."""
    ctx = services()
    if subscriber.state != SubscriberState.ACTIVE or not ctx.programmes():
        return {"places": [], "programme_url": ""}
    token = ctx.tokens().make("preferences", subscriber.id, subscriber.email_key)
    newsletter = ctx.settings.newsletter
    found = places(
        ctx.store(),
        subscriber.id,
        ctx.programmes(),
        ctx.clock(),
        newsletter.send_on,
        newsletter.timezone,
    )
    return {"places": found, "programme_url": url_for("links.programme", token=token)}


def _linked(purpose: Purpose, token: str) -> SubscriberRecord:
    ctx = services()
    try:
        return linked_subscriber(ctx.store(), ctx.tokens(), purpose, token)
    except InvalidLink:
        _bad_link()


def _checked(token: str) -> str:
    if len(token) > MAX_TOKEN:
        _bad_link()
    return token


def _bad_link() -> NoReturn:
    spend_rate_limit("links")
    abort(404)
