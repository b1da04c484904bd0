"""/admin/digest: the next digest as the email (phone and desktop widths), the editor's
note, the exercise rotation and pinning, a test sent to the signed-in owner, and past
digests."""

from __future__ import annotations

from flask import request
from werkzeug.wrappers import Response as BaseResponse

from newsletter.admin.digest import (
    DESKTOP_WIDTH,
    PHONE_WIDTH,
    next_digest,
    pin,
    remove_note,
    rotation,
    write_note,
)
from newsletter.admin.digest import send_test as send_test_digest
from newsletter.digest.note import NOTE_MAX, note_markup
from newsletter.errors import NewsletterError
from newsletter.web.admin.base import admin, area, blueprint, done, email_preview, log, page, store
from newsletter.web.services import services

PAST = 20


@blueprint.get("/digest")
@area("digest")
def digest() -> BaseResponse:
    ctx = services()
    now = ctx.clock()
    note = store().editor_note()
    return page(
        "admin/digest.html",
        upcoming=next_digest(ctx.settings, store(), now),
        note=note,
        note_preview=note_markup(note.markdown if note else None),
        note_max=NOTE_MAX,
        now=now,
        rotation=rotation(ctx.settings.root, ctx.settings.newsletter.timezone, store(), now),
        past=store().digest_history(PAST),
        widths={"phone": PHONE_WIDTH, "desktop": DESKTOP_WIDTH},
    )


@blueprint.get("/digest/email")
@area("digest")
def email() -> BaseResponse:
    ctx = services()
    shown = next_digest(ctx.settings, store(), ctx.clock()).preview
    return email_preview(shown.html, shown.text)


@blueprint.post("/digest/pin")
@area("digest")
def pin_week() -> BaseResponse:
    ctx = services()
    slug, week = request.form.get("slug", ""), request.form.get("week", "")
    try:
        settings = ctx.settings
        said = pin(settings.root, settings.newsletter.timezone, store(), slug, week, ctx.clock())
    except NewsletterError as exc:
        return done("admin.digest", str(exc))
    log("pinned exercise", f"{slug} to {week}")
    return done("admin.digest", said)


@blueprint.post("/digest/note")
@area("digest")
def save_note() -> BaseResponse:
    ctx = services()
    text, now = request.form.get("note", ""), ctx.clock()
    timezone = ctx.settings.newsletter.timezone
    try:
        if request.form.get("action") == "remove":
            change = remove_note(timezone, store(), now)
        else:
            change = write_note(timezone, store(), text, admin().email, now)
    except NewsletterError as exc:
        return done("admin.digest", f"the note was not saved: {exc}", _anchor="note")
    if change.done:
        log(change.done, f"for {change.week}")
    return done("admin.digest", change.said, _anchor="note")


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
