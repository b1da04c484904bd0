"""``/``: the subscribe form, and the one answer every address gets."""

from __future__ import annotations

import logging
from collections.abc import Collection
from functools import partial
from typing import Any

from flask import Blueprint, Response, request

from newsletter.errors import StoreError
from newsletter.store.suppressions import Suppressed
from newsletter.subscribers import InvalidAddress, normalize_address
from newsletter.web.pages import after_response, page
from newsletter.web.security import honeypot_filled, spend_rate_limit
from newsletter.web.services import Services, services
from newsletter.web.showcase import Showcase
from newsletter.web.signup import confirm_later, sign_up

blueprint = Blueprint("home", __name__)


@blueprint.get("/")
def form() -> Response:
    ctx = services()
    try:
        shown: Showcase | None = ctx.current_showcase()
    except StoreError as exc:  # the form still shows; the POST will say the site is down
        logging.getLogger("newsletter.web").error("%s", exc)
        shown = None
    return page(
        "web/home.html", email="", error=None, showcase=shown, **_programmes(ctx, wished=())
    )


@blueprint.post("/")
def subscribe() -> Response:
    if honeypot_filled():
        spend_rate_limit("subscribe")  # a bot sees what a person would
        return page("web/check_email.html")
    ctx, email = services(), request.form.get("email", "")
    try:
        normalize_address(email)
    except InvalidAddress as exc:  # sent back to be fixed: no row, no email, no cost
        ticked = request.form.getlist("programme")
        return page(
            "web/home.html",
            400,
            email=email,
            error=str(exc),
            showcase=None,
            **_programmes(ctx, ticked),
        )
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
        keys = set(request.form.getlist("programme"))
        wished = [p for p in ctx.programmes() if p.key in keys]
        later = partial(
            confirm_later, ctx.settings, ctx.store(), signup.to_confirm, wished, ctx.clock
        )
        after_response(response, later)
    return response


def _programmes(ctx: Services, wished: Collection[str]) -> dict[str, Any]:
    """The form's "Also start …" boxes, ticked as they were sent."""
    return {"programmes": ctx.programmes(), "wished": wished}
