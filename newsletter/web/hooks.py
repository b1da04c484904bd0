"""Webhooks of mail relays: ``POST /hooks/ses`` (Amazon SES via SNS) and
``POST /hooks/mailgun``. Each route hands the raw body to :mod:`newsletter.hooks`, which
verifies it before anything acts; a refusal is a 4xx (or a 503 when the SNS certificate
cannot be fetched, so SNS tries again) with one line of text, and changes nothing.

No CSRF token (relays have no session) and no rate limit of the forms: what protects
these routes is the signature.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Flask, Response, current_app, request

from newsletter.hooks import Certificates, HookAnswer, HookRefused, handle_mailgun, handle_ses
from newsletter.web.security import csrf_exempt
from newsletter.web.services import services

blueprint = Blueprint("hooks", __name__)
KEY = "newsletter.hooks"
MAX_BODY = 256 * 1024  # SNS's largest message


def configure(app: Flask, fetch: Callable[[str], bytes] | None) -> None:
    """SNS certificates come through ``fetch`` (default: over HTTPS with aiohttp)."""
    app.extensions[KEY] = Certificates(fetch)


@blueprint.post("/hooks/ses")
@csrf_exempt  # SNS signs the body
def ses() -> Response:
    ctx = services()
    topics, limit = ctx.settings.env.ses_topic_arns, ctx.settings.newsletter.soft_bounce_limit
    certificates: Certificates = current_app.extensions[KEY]
    return _answer(
        lambda body: handle_ses(body, topics, certificates, ctx.store(), ctx.clock(), limit)
    )


@blueprint.post("/hooks/mailgun")
@csrf_exempt  # Mailgun signs the body
def mailgun() -> Response:
    ctx = services()
    key, limit = ctx.settings.env.mailgun_signing_key, ctx.settings.newsletter.soft_bounce_limit
    return _answer(lambda body: handle_mailgun(body, key, ctx.store(), ctx.clock(), limit))


def _answer(handle: Callable[[bytes], HookAnswer]) -> Response:
    request.max_content_length = MAX_BODY
    try:
        answer = handle(request.get_data(cache=False))
    except HookRefused as refused:
        current_app.logger.warning("%s %s refused: %s", request.method, request.path, refused)
        answer = HookAnswer(refused.status, str(refused))
    return Response(answer.text + "\n", status=answer.status, mimetype="text/plain")
