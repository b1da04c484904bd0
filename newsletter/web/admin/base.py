"""The console's blueprint under /admin/: its own cookie, CSRF, headers and access checks.

Nothing here touches the public pages: the console has its own session cookie
(HttpOnly, SameSite=Strict, Secure over https, scoped to /admin/), its own CSRF token (an
HMAC of the session token, so it dies with the session), and its own headers (a CSP with
no script at all, ``Cache-Control: no-store``, ``X-Robots-Tag: noindex``).

Every request but the sign-in page looks its session up in the database
(``newsletter.admin.access.current_admin``): a signed-out or revoked session stops at
once. Without one, a GET is sent to the sign-in page and a POST is refused with 403; a
moderator asking for anything but questions gets 403. Routes declare their area with
:func:`area`; the default is owner-only.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote

from flask import Blueprint, Response, abort, current_app, g, redirect, request, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response as BaseResponse

from newsletter.admin.access import SESSION_LIFETIME, current_admin, may
from newsletter.palette import palette_css
from newsletter.store import SqlStore
from newsletter.store.admin import AdminRecord
from newsletter.templating import template_folders
from newsletter.web.responses import HTML
from newsletter.web.services import services

blueprint = Blueprint("admin", __name__, url_prefix="/admin")

CSRF_FIELD = "csrf_token"
ADMIN_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-src 'self'; base-uri 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": ADMIN_CSP,
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
# An email shown in the console is ours but carries feed text: no script, no forms, only
# its own inline style and remote images (the exercise's picture from this very site, even
# on plain http while it is set up), and only inside the console's own frame.
PREVIEW_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' https: data:; "
    "form-action 'none'; base-uri 'none'; frame-ancestors 'self'; sandbox"
)
# Reachable without a session: the sign-in form and the stylesheet it loads.
OPEN = frozenset({"admin.sign_in_form", "admin.sign_in", "admin.stylesheet"})
NOTICE_SECONDS = 600  # how long the notice of a done action shows on reload
LOGIN_COOKIE = "newsletter-admin-login"  # the sign-in form's own CSRF token (double submit)
NAV = (
    ("overview", "admin.overview", "Overview"),
    ("questions", "admin.questions", "Questions"),
    ("digest", "admin.digest", "Digest"),
    ("programmes", "admin.programmes", "Programmes"),
    ("subscribers", "admin.subscribers", "Subscribers"),
    ("fediverse", "admin.fediverse", "Fediverse"),  # when feeds.yaml enables it
    ("activity", "admin.activity", "Activity"),
    ("account", "admin.account", "Account"),
)

View = TypeVar("View", bound=Callable[..., Any])


def area(name: str) -> Callable[[View], View]:
    """Which part of the console a route belongs to (moderators: questions, account)."""

    def mark(view: View) -> View:
        view.admin_area = name  # type: ignore[attr-defined]
        return view

    return mark


def cookie_name() -> str:
    # __Secure-: the browser keeps it only when set over https with Secure.
    return "__Secure-newsletter-admin" if services().secure else "newsletter-admin"


def cookie_path() -> str:
    return request.script_root + "/admin/"


def _serializer(salt: str) -> URLSafeTimedSerializer:
    key = hmac.new(services().session_key().encode(), b"admin-console", hashlib.sha256)
    return URLSafeTimedSerializer(key.hexdigest(), salt=salt)


def session_cookie(response: BaseResponse, token: str) -> BaseResponse:
    value = _serializer("session").dumps(token)
    response.set_cookie(
        cookie_name(),
        value,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        path=cookie_path(),
        secure=services().secure,
        httponly=True,
        samesite="Strict",
    )
    return response


def drop_session_cookie(response: BaseResponse) -> BaseResponse:
    response.delete_cookie(
        cookie_name(), path=cookie_path(), secure=services().secure, httponly=True,
        samesite="Strict",
    )  # fmt: skip
    return response


def login_token() -> tuple[str, bool]:
    """The sign-in form's token: the one in its cookie, else a new one (True: set it)."""
    token = request.cookies.get(LOGIN_COOKIE, "")
    if len(token) >= 32:
        return token, False
    return secrets.token_urlsafe(32), True


def set_login_cookie(response: BaseResponse, token: str) -> None:
    response.set_cookie(
        LOGIN_COOKIE, token, path=cookie_path(), secure=services().secure, httponly=True,
        samesite="Strict",
    )  # fmt: skip


def login_csrf_ok() -> bool:
    expected = request.cookies.get(LOGIN_COOKIE, "")
    given = request.form.get(CSRF_FIELD, "")
    return len(expected) >= 32 and hmac.compare_digest(expected, given)


def csrf_token() -> str:
    """The signed-in session's form token."""
    key = services().session_key().encode()
    return hmac.new(key, b"admin-csrf:" + g.admin_token.encode(), hashlib.sha256).hexdigest()


def admin() -> AdminRecord:
    found: AdminRecord = g.admin
    return found


def store() -> SqlStore:
    """The whole store: the console reads and acts on nearly every capability, and the
    app's store is always the SQL one (create_app opens it, or a test passes one)."""
    found = services().store()
    if not isinstance(found, SqlStore):
        raise TypeError("the console needs the SQL store")
    return found


def log(action: str, subject: str) -> None:
    """A line of the activity page: who did what, now."""
    store().log_activity(admin().email, action, subject, services().clock())


def page(template: str, status: int = 200, **context: Any) -> Response:
    ctx = services()
    signed_in: AdminRecord | None = g.get("admin")
    nav = [
        (url_for(endpoint), label, name == g.get("admin_area"))
        for name, endpoint, label in NAV
        if signed_in is not None and may(signed_in.role, name)
        if name != "fediverse" or ctx.settings.fediverse is not None
    ]
    values = {
        "site": ctx.settings.site,
        "me": signed_in,
        "url_for": url_for,
        "nav": nav,
        "csrf_field": CSRF_FIELD,
        "csrf": csrf_token() if signed_in is not None else "",
        "css": url_for("admin.stylesheet", v=_css_version()),
        "notice": _notice(),
        **context,
    }
    text = ctx.templates.get_template(template).render(values)
    return Response(text, status=status, content_type=HTML)


def email_preview(html: str, text: str) -> Response:
    """An email for the console's frames: its HTML, or its plain text when the query
    says ``format=text``."""
    as_text = request.args.get("format") == "text"
    response = Response(
        text if as_text else html,
        content_type="text/plain; charset=utf-8" if as_text else HTML,
    )
    response.headers["Content-Security-Policy"] = PREVIEW_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


def done(endpoint: str, message: str, **values: Any) -> BaseResponse:
    """Post/redirect/get, with a one-line notice for the next page. The notice is signed:
    a link made elsewhere cannot put words of its own on a console page."""
    notice = _serializer("notice").dumps(message)
    return redirect(url_for(endpoint, done=notice, **values), 303)


def _notice() -> str:
    try:
        found = _serializer("notice").loads(request.args.get("done", ""), max_age=NOTICE_SECONDS)
    except BadSignature:
        return ""
    return found if isinstance(found, str) else ""


@blueprint.before_request
def _guard() -> BaseResponse | None:
    if request.endpoint in OPEN or request.endpoint is None:
        return None
    found = _signed_in()
    if found is None:
        if request.method == "GET":
            back = quote(request.full_path.rstrip("?"), safe="/?=&")
            return redirect(url_for("admin.sign_in_form", next=back), 303)
        abort(403)
    view = current_app.view_functions[request.endpoint]
    g.admin_area = getattr(view, "admin_area", "overview")
    if not may(found.role, g.admin_area):
        abort(403)
    g.admin = found
    if request.method == "POST":
        given = request.form.get(CSRF_FIELD, "")
        if not hmac.compare_digest(csrf_token(), given):
            abort(403)
    return None


def _signed_in() -> AdminRecord | None:
    raw = request.cookies.get(cookie_name())
    if not raw:
        return None
    try:
        token = _serializer("session").loads(raw, max_age=int(SESSION_LIFETIME.total_seconds()))
    except BadSignature:
        return None
    if not isinstance(token, str):
        return None
    found = current_admin(store(), token, services().clock())
    if found is not None:
        g.admin_token = token
    return found


@blueprint.after_request
def _headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers["Cache-Control"] = "no-store"
    return response


CSS_TEMPLATE = "admin/admin.css"


@blueprint.get("/static/admin.css")
def stylesheet() -> Response:
    return Response(_css(), content_type="text/css; charset=utf-8")


def _css() -> str:
    # The site's templates/admin/admin.css first, like every template (small files).
    ctx = services()
    loader = ctx.templates.loader
    if loader is None:  # make_environment always sets one
        abort(404)
    # The palette in front, as the site's stylesheet has it (one file, one look).
    palette = palette_css(template_folders(ctx.settings.root)).decode("utf-8")
    return palette + "\n" + loader.get_source(ctx.templates, CSS_TEMPLATE)[0]


def _css_version() -> str:
    return hashlib.sha256(_css().encode()).hexdigest()[:12]
