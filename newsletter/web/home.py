"""``/``: the subscribe form, and the one answer every address gets."""

from __future__ import annotations

from functools import partial

from flask import Blueprint, Response, request

from newsletter.store.suppressions import Suppressed
from newsletter.subscribers import InvalidAddress
from newsletter.subscribers.signup import send_confirmation_if_due, sign_up
from newsletter.web.pages import after_response, page
from newsletter.web.security import honeypot_filled, rate_limited
from newsletter.web.services import services

blueprint = Blueprint("home", __name__)


@blueprint.get("/")
def form() -> Response:
    return page("web/home.html", email="", error=None)


@blueprint.post("/")
@rate_limited("subscribe")
def subscribe() -> Response:
    if honeypot_filled():
        return page("web/check_email.html")
    ctx, email = services(), request.form.get("email", "")
    try:
        signup = sign_up(ctx.store(), email, ctx.clock())
    except InvalidAddress as exc:
        return page("web/home.html", 400, email=email, error=str(exc))
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
