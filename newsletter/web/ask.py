"""``/ask``: the question form, and its thanks page."""

from __future__ import annotations

from flask import Blueprint, Response, redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from newsletter.questions import (
    BODY_MAX,
    NAME_MAX,
    TITLE_MAX,
    InvalidQuestion,
    QuestionInput,
    check_question,
)
from newsletter.questions import ask_question as keep_question
from newsletter.web.pages import page
from newsletter.web.security import honeypot_filled, spend_rate_limit
from newsletter.web.services import services

blueprint = Blueprint("ask", __name__)
FIELDS = ("title", "body", "name", "email")
LIMITS = {"title": TITLE_MAX, "body": BODY_MAX, "name": NAME_MAX, "email": 254}


@blueprint.get("/ask")
def form() -> Response:
    return page(
        "web/ask.html",
        section="ask",
        values=dict.fromkeys(FIELDS, ""),
        notify=False,
        problems={},
        limits=LIMITS,
    )


@blueprint.post("/ask")
def ask() -> BaseResponse:
    # Post/redirect/get: reloading the thanks page never sends the question twice.
    thanks = redirect(url_for("ask.thanks"), 303)
    if honeypot_filled():
        spend_rate_limit("questions")  # a bot sees what a person would
        return thanks
    values = {field: request.form.get(field, "") for field in FIELDS}
    notify = request.form.get("notify") == "yes"
    given = QuestionInput(**values, notify=notify)
    try:
        check_question(given)
    except InvalidQuestion as exc:  # sent back to be fixed: no row, so no cost to count
        return page(
            "web/ask.html",
            400,
            section="ask",
            values=values,
            notify=notify,
            problems=exc.problems,
            limits=LIMITS,
        )
    spend_rate_limit("questions")  # the limit counts the rows a visitor makes us keep
    ctx = services()
    keep_question(ctx.store(), given, ctx.clock())
    return thanks


@blueprint.get("/ask/thanks")
def thanks() -> Response:
    return page("web/asked.html")
