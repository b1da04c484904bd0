"""/admin/programmes: where the readers of each programme are (at each step, paused,
finished, left), any step as readers get it (phone and desktop widths, or plain text), and
a step sent to the signed-in owner. Owners only. programmes.yaml is read on each visit, so
the owner sees an edit (or its mistake) at once."""

from __future__ import annotations

from flask import Response, abort, request
from werkzeug.wrappers import Response as BaseResponse

from newsletter.admin.digest import DESKTOP_WIDTH, PHONE_WIDTH
from newsletter.admin.programmes import programme_views, send_step_test
from newsletter.errors import BadInput, ConfigError, NewsletterError
from newsletter.programmes.file import load_site_programmes
from newsletter.programmes.model import Programme
from newsletter.programmes.render import preview_step
from newsletter.web.admin.base import admin, area, blueprint, done, email_preview, log, page, store
from newsletter.web.services import services


@blueprint.get("/programmes")
@area("programmes")
def programmes() -> BaseResponse:
    try:
        found = load_site_programmes(services().settings.root)
    except ConfigError as exc:
        return page("admin/programmes.html", problem=str(exc), views=[], shown=None)
    shown = _shown(found)
    return page(
        "admin/programmes.html",
        problem=None,
        views=programme_views(store(), found, services().settings.root),
        shown=shown,
        widths={"phone": PHONE_WIDTH, "desktop": DESKTOP_WIDTH},
    )


@blueprint.get("/programmes/email")
@area("programmes")
def programme_email() -> BaseResponse:
    """A step's email alone, for the page's frames: its HTML, or ``format=text``."""
    key, number = request.args.get("key", ""), request.args.get("step", "")
    try:
        step = preview_step(services().settings, key, int(number) if number.isdigit() else 0)
    except BadInput:
        abort(404)
    except ConfigError as exc:  # the file, or a step too big to send: the frame says so
        return Response(str(exc), content_type="text/plain; charset=utf-8")
    return email_preview(step.html, step.text)


@blueprint.post("/programmes/test")
@area("programmes")
def programme_test() -> BaseResponse:
    ctx = services()
    key, number = request.form.get("key", ""), request.form.get("step", "")
    at = {"key": key, "step": number}
    if not number.isdigit():
        return done("admin.programmes", f"there is no step '{number}'", **at)
    try:
        said = send_step_test(ctx.settings, key, int(number), admin().email, ctx.clock())
    except NewsletterError as exc:
        return done("admin.programmes", str(exc), **at)
    log("sent a test programme step", f"{key} step {number}")
    return done("admin.programmes", said, **at)


def _shown(found: tuple[Programme, ...]) -> tuple[Programme, int] | None:
    """The programme and step the preview shows (``key`` and ``step`` of the query; the
    first programme's first step by default)."""
    if not found:
        return None
    key, number = request.args.get("key", ""), request.args.get("step", "1")
    programme = next((p for p in found if p.key == key), found[0])
    step = int(number) if number.isdigit() and 1 <= int(number) <= programme.length else 1
    return programme, step
