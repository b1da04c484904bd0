"""Signing in and out of the console, and the account page (two-factor enrolment)."""

from __future__ import annotations

from flask import g, redirect, request, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response as BaseResponse

from newsletter.admin.access import SignInRefused, sign_in, sign_out
from newsletter.admin.accounts import new_totp_secret, password_matches, totp_step, totp_uri
from newsletter.web.admin.base import (
    admin,
    area,
    blueprint,
    done,
    drop_session_cookie,
    log,
    login_csrf_ok,
    login_token,
    page,
    session_cookie,
    set_login_cookie,
    store,
)
from newsletter.web.ratelimit import client_key
from newsletter.web.services import services

ENROL_SECONDS = 600  # how long a shown secret may be confirmed


@blueprint.get("/sign-in")
def sign_in_form() -> BaseResponse:
    return _form(200)


@blueprint.post("/sign-in", endpoint="sign_in")
def sign_in_post() -> BaseResponse:
    if not login_csrf_ok():
        return _form(403, "This form had expired; please sign in again.")
    ctx = services()
    form = request.form
    try:
        signed = sign_in(
            store(), form.get("email", ""), form.get("password", ""), form.get("code", ""),
            client_key(request.remote_addr), ctx.clock(),
        )  # fmt: skip
    except SignInRefused as exc:
        return _form(429 if exc.throttled else 401, str(exc).capitalize() + ".")
    store().log_activity(signed.admin.email, "signed in", "", ctx.clock())
    return session_cookie(redirect(_next(signed.admin.role), 303), signed.token)


@blueprint.post("/sign-out")
@area("account")
def sign_out_post() -> BaseResponse:
    sign_out(store(), g.admin_token, services().clock())
    log("signed out", "")
    return drop_session_cookie(done("admin.sign_in_form", "signed out"))


@blueprint.post("/sign-out-everywhere")
@area("account")
def sign_out_everywhere() -> BaseResponse:
    store().end_admin_sessions(admin().id)
    log("signed out everywhere", "")
    return drop_session_cookie(done("admin.sign_in_form", "signed out everywhere"))


@blueprint.get("/account")
@area("account")
def account() -> BaseResponse:
    return page("admin/account.html", enrolling=None)


@blueprint.post("/account/two-factor")
@area("account")
def two_factor_start() -> BaseResponse:
    secret = new_totp_secret()
    signed = _enrolment().dumps(secret)
    uri = totp_uri(secret, admin().email)
    return page("admin/account.html", enrolling={"secret": secret, "signed": signed, "uri": uri})


@blueprint.post("/account/two-factor/confirm")
@area("account")
def two_factor_confirm() -> BaseResponse:
    try:
        secret = _enrolment().loads(request.form.get("signed", ""), max_age=ENROL_SECONDS)
    except BadSignature:
        return done("admin.account", "that code had expired: start again")
    step = (
        totp_step(secret, request.form.get("code", ""), services().clock())
        if isinstance(secret, str)
        else None
    )
    if step is None:
        return done("admin.account", "wrong code: two-factor sign-in is not on")
    # The confirming code is spent: it cannot sign in again within its 30 s window.
    store().set_admin_totp(admin().id, secret, used_step=step)
    log("turned on two-factor sign-in", admin().email)
    return done("admin.account", "two-factor sign-in is on")


@blueprint.post("/account/two-factor/remove")
@area("account")
def two_factor_remove() -> BaseResponse:
    if not password_matches(admin().password_hash, request.form.get("password", "")):
        return done("admin.account", "wrong password: two-factor sign-in is still on")
    store().set_admin_totp(admin().id, None)
    log("turned off two-factor sign-in", admin().email)
    return done("admin.account", "two-factor sign-in is off")


def _enrolment() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(services().session_key() + admin().email, salt="totp-enrol")


def _form(status: int, problem: str = "") -> BaseResponse:
    token, new = login_token()
    response = page("admin/sign_in.html", status, problem=problem, next=_safe_next(), token=token)
    if new:
        set_login_cookie(response, token)
    return response


def _safe_next() -> str:
    """Only a path inside the console: never a link to another site, and never a control
    character (a CR or LF would split the Location header)."""
    wanted = request.values.get("next", "")
    prefix = request.script_root + "/admin/"
    if (
        wanted.startswith(prefix)
        and not wanted.startswith("//")
        and "\\" not in wanted
        and wanted.isprintable()
    ):
        return wanted
    return ""


def _next(role: str) -> str:
    wanted = _safe_next()
    if wanted:
        return wanted
    return url_for("admin.overview" if role == "owner" else "admin.questions")
