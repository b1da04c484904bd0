"""/admin/digest: the next digest as the email (phone and desktop widths), the exercise
rotation and pinning, a test sent to the signed-in owner, and past digests."""

from __future__ import annotations

from flask import Response, request
from werkzeug.wrappers import Response as BaseResponse

from newsletter.admin.digest import DESKTOP_WIDTH, PHONE_WIDTH, next_digest, pin, rotation
from newsletter.admin.digest import send_test as send_test_digest
from newsletter.errors import NewsletterError
from newsletter.web.admin.base import admin, area, blueprint, done, log, page, store
from newsletter.web.responses import HTML
from newsletter.web.services import services

PAST = 20
# The email is ours but carries feed text: no script, no forms, only its own inline style
# and remote images, and only inside the console's own frame.
PREVIEW_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; "
    "form-action 'none'; base-uri 'none'; frame-ancestors 'self'; sandbox"
)


@blueprint.get("/digest")
@area("digest")
def digest() -> BaseResponse:
    ctx = services()
    now = ctx.clock()
    return page(
        "admin/digest.html",
        upcoming=next_digest(ctx.settings, store(), now),
        now=now,
        rotation=rotation(ctx.settings, store(), now),
        past=store().digest_history(PAST),
        widths={"phone": PHONE_WIDTH, "desktop": DESKTOP_WIDTH},
    )


@blueprint.get("/digest/email")
@area("digest")
def email() -> BaseResponse:
    ctx = services()
    shown = next_digest(ctx.settings, store(), ctx.clock()).preview
    text = request.args.get("format") == "text"
    response = Response(
        shown.text if text else shown.html,
        content_type="text/plain; charset=utf-8" if text else HTML,
    )
    response.headers["Content-Security-Policy"] = PREVIEW_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@blueprint.post("/digest/pin")
@area("digest")
def pin_week() -> BaseResponse:
    ctx = services()
    slug, week = request.form.get("slug", ""), request.form.get("week", "")
    try:
        said = pin(ctx.settings, store(), slug, week, ctx.clock())
    except NewsletterError as exc:
        return done("admin.digest", str(exc))
    log("pinned exercise", f"{slug} to {week}")
    return done("admin.digest", said)


@blueprint.post("/digest/test")
@area("digest")
def send_test() -> BaseResponse:
    ctx = services()
    try:
        said = send_test_digest(ctx.settings, store(), admin().email, ctx.clock())
    except NewsletterError as exc:
        return done("admin.digest", str(exc))
    log("sent a test digest", admin().email)
    return done("admin.digest", said)
