"""``/``: the subscribe form, and the one answer every address gets."""

from __future__ import annotations

import logging
from functools import partial

from flask import Blueprint, Response, request

from newsletter.errors import StoreError
from newsletter.store.suppressions import Suppressed
from newsletter.subscribers import InvalidAddress, normalize_address
from newsletter.web.pages import after_response, page
from newsletter.web.security import honeypot_filled, spend_rate_limit
from newsletter.web.services import services
from newsletter.web.showcase import Showcase
from newsletter.web.signup import send_confirmation_if_due, sign_up

blueprint = Blueprint("home", __name__)


@blueprint.get("/")
def form() -> Response:
    ctx = services()
    try:
        shown: Showcase | None = ctx.current_showcase()
    except StoreError as exc:  # the form still shows; the POST will say the site is down
        logging.getLogger("newsletter.web").error("%s", exc)
        shown = None
    return page("web/home.html", email="", error=None, showcase=shown)


@blueprint.post("/")
def subscribe() -> Response:
    if honeypot_filled():
        spend_rate_limit("subscribe")  # a bot sees what a person would
        return page("web/check_email.html")
    ctx, email = services(), request.form.get("email", "")
    try:
        normalize_address(email)
    except InvalidAddress as exc:  # sent back to be fixed: no row, no email, no cost
        return page("web/home.html", 400, email=email, error=str(exc), showcase=None)
    # Every valid address counts, whatever its state: the limit bounds the emails and rows
    # a visitor can cause, and answers alike for subscribed and new addresses.
    spend_rate_limit("subscribe")
    try:
        signup = sign_up(ctx.store(), email, ctx.clock())
    except Suppressed:  # erased on request: the usual answer, and nothing happens
        return page("web/check_email.html")
    # The same page for every state; the email (if any) goes after it is sent.
    response = page("web/check_email.html")
    if signup.to_confirm is not None:
        send = partial(
            send_confirmation_if_due, ctx.settings, ctx.store(), signup.to_confirm, ctx.clock
        )
        after_response(response, send)
    return response
