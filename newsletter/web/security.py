"""What keeps the forms and pages safe on the open internet.

* CSRF: a random token kept in the session cookie (signed by Flask with itsdangerous) and
  repeated in every form; a POST whose two copies differ is refused with 403. The cookie is
  SameSite=Lax and HttpOnly, and Secure when the site is served over https.
* Headers on every response: a Content-Security-Policy that lets a page load nothing but
  our own stylesheet and icon (no script at all), no framing, no MIME sniffing, and a
  referrer policy; token pages send no referrer and ask not to be indexed.
* Rate limits: a token bucket per client address in front of each form.
"""

from __future__ import annotations

import hmac
import math
import secrets
from collections.abc import Callable
from typing import TypeVar

from flask import Flask, Response, current_app, request, session
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer
from werkzeug.exceptions import Forbidden, TooManyRequests

from newsletter.web.ratelimit import client_key
from newsletter.web.services import services

CSRF_FIELD = "csrf_token"
HONEYPOT_FIELD = "website"
PAGE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    # connect-src: what the page itself may fetch, which is how Lighthouse reads robots.txt
    "connect-src 'self'; base-uri 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": PAGE_CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}
TOKEN_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "Cache-Control": "no-store",
}
_EXEMPT = "_newsletter_csrf_exempt"
View = TypeVar("View", bound=Callable[..., Response])


def csrf_exempt(view: View) -> View:
    """For a POST that proves itself another way (a signed token in its URL, a relay's
    signature over its body): put it under the route's decorator, so the exemption is read
    where the route is declared."""
    setattr(view, _EXEMPT, True)
    return view


class CsrfRefused(Forbidden):
    description = "csrf"


class Sessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, keyed by the app's derived session key, which is
    read on first use (so building the app reads no file)."""

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        signer = {"key_derivation": self.key_derivation, "digest_method": self.digest_method}
        return URLSafeTimedSerializer(
            services().session_key(),
            salt=self.salt,
            serializer=self.serializer,
            signer_kwargs=signer,
        )


def configure(app: Flask, secure: bool) -> None:
    app.session_interface = Sessions()
    app.config.update(
        # __Host-: the browser keeps it only if Secure, for this host and path / alone.
        SESSION_COOKIE_NAME="__Host-newsletter" if secure else "newsletter",
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SECURE=secure,
        SESSION_COOKIE_PATH="/",
        MAX_CONTENT_LENGTH=64 * 1024,  # the longest question is ~16 KiB of UTF-8
    )
    app.before_request(_check_csrf)
    app.after_request(_headers)
    if secure:
        app.after_request(_hsts)


def csrf_token() -> str:
    """This session's token (made on first use, which sets the session cookie)."""
    token = session.get(CSRF_FIELD)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[CSRF_FIELD] = token
    return token


def require_csrf() -> None:
    expected = session.get(CSRF_FIELD)
    given = request.form.get(CSRF_FIELD, "")
    if not isinstance(expected, str) or not hmac.compare_digest(expected, given):
        raise CsrfRefused()


def honeypot_filled() -> bool:
    """A bot filled the field people never see: it gets the usual answer, and nothing
    happens."""
    return bool(request.form.get(HONEYPOT_FIELD, "").strip())


def spend_rate_limit(name: str) -> None:
    """Spend one of the client's posts of form ``name``; 429 with Retry-After when none is
    left. Called once a submission is known to cost us something (a row, an email): a
    mistake the form sends back costs the visitor nothing."""
    _limit(name, spend=True)


def refuse_if_limited(name: str) -> None:
    """429 with Retry-After when the client has nothing left of limit ``name``; spends
    nothing (for requests that spend only if they turn out to be guesses)."""
    _limit(name, spend=False)


def _limit(name: str, spend: bool) -> None:
    ctx = services()
    bucket = ctx.bucket(name)
    if bucket is not None:
        key, now = client_key(request.remote_addr), ctx.clock().timestamp()
        wait = bucket.take(key, now) if spend else bucket.wait(key, now)
        if wait > 0:
            raise TooManyRequests(retry_after=max(1, math.ceil(wait)))


def token_headers(response: Response) -> Response:
    """A page whose URL holds a confirm or unsubscribe token."""
    response.headers.update(TOKEN_HEADERS)
    return response


def _check_csrf() -> None:
    # Only for routes that exist: a POST to an unknown URL stays a 404 (or a 405).
    if request.method != "POST" or request.routing_exception is not None:
        return
    # The console checks its own token, tied to its own session (web/admin/base.py).
    view = current_app.view_functions.get(request.endpoint or "")
    if not getattr(view, _EXEMPT, False) and request.blueprint != "admin":
        require_csrf()


# Sent only when the public base URL is https: browsers then refuse plain http to this
# host for a year, so a network attacker cannot strip TLS from a later visit.
HSTS = "max-age=31536000"


def _hsts(response: Response) -> Response:
    response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def _headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response
