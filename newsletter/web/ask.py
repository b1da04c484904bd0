"""``/ask``: the question form, and its thanks page."""

from __future__ import annotations

from flask import Blueprint, Response, redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from newsletter.questions import BODY_MAX, NAME_MAX, TITLE_MAX, InvalidQuestion, QuestionInput
from newsletter.questions import ask_question as keep_question
from newsletter.web.pages import page
from newsletter.web.security import honeypot_filled, rate_limited
from newsletter.web.services import services

blueprint = Blueprint("ask", __name__)
FIELDS = ("title", "body", "name", "email")
LIMITS = {"title": TITLE_MAX, "body": BODY_MAX, "name": NAME_MAX, "email": 254}


@blueprint.get("/ask")
def form() -> Response:
    return page("web/ask.html", values=dict.fromkeys(FIELDS, ""), problems={}, limits=LIMITS)


@blueprint.post("/ask")
@rate_limited("questions")
def ask() -> BaseResponse:
    # Post/redirect/get: reloading the thanks page never sends the question twice.
    thanks = redirect(url_for("ask.thanks"), 303)
    if honeypot_filled():
        return thanks
    values = {field: request.form.get(field, "") for field in FIELDS}
    ctx = services()
    try:
        keep_question(ctx.store(), QuestionInput(**values), ctx.clock())
    except InvalidQuestion as exc:
        return page("web/ask.html", 400, values=values, problems=exc.problems, limits=LIMITS)
    return thanks


@blueprint.get("/ask/thanks")
def thanks() -> Response:
    return page("web/asked.html")
