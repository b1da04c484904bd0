"""The links of emails: confirm and unsubscribe.

A GET only shows a page with a button, because mail systems and link scanners open every
link in a message; the POST of that button acts. The unsubscribe URL also takes the
RFC 8058 one-click POST that mail clients send on their own (no cookie, no form token) and
answers it with a 200, never a redirect. A bad token gets the generic 404 page, and counts
against the address's limit of token guesses (``RateLimits.links``).
"""

from __future__ import annotations

from typing import NoReturn

from flask import Blueprint, Response, abort, request

from newsletter.store.subscribers import SubscriberRecord
from newsletter.subscribers import (
    InvalidLink,
    confirm_subscription,
    linked_subscriber,
    unsubscribe_with_token,
)
from newsletter.subscribers.service import MAX_TOKEN
from newsletter.subscribers.tokens import Purpose
from newsletter.web.pages import page
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
    return page("web/confirmed.html", noindex=True, email=found.email, state=found.state)


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
