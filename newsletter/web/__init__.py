"""The web app: a Flask application factory, one blueprint per area.

    home      /                    the subscribe form (double opt-in)
    links     /confirm/<token>     the links of emails: a page with a button, then a POST
              /unsubscribe/<token> (also the RFC 8058 one-click POST)
    ask       /ask                 the question form
    feeds     /feed.xml …          the published feeds (publish)
    archive   /archive/ …          past digests (publish)
    health    /healthz
    admin     /admin/ …            the owner's console (web/admin/, with its own cookie)
    hooks     /hooks/ses, /hooks/mailgun   bounce and complaint reports of relays
    fediverse /.well-known/webfinger, /actor, /inbox …   the site as a fediverse account
    assets    /static/<name>       the stylesheet and icons of templates/web/, /favicon.ico
    robots    /robots.txt

``create_app`` only wires things together: it opens nothing and reads nothing until the
first request that needs it, so importing this package (or building an app for a test)
costs no I/O. Routes are a few lines each over ``newsletter.subscribers``,
``newsletter.questions`` and :mod:`newsletter.web.signup`; what keeps them safe (CSRF,
headers, rate limits) is :mod:`newsletter.web.security`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from newsletter.config import Settings
from newsletter.store import SqlStore
from newsletter.web import (
    access_log,
    admin,
    archive,
    ask,
    compress,
    errors,
    fediverse,
    feeds,
    health,
    home,
    hooks,
    links,
    robots,
    security,
    static_files,
)
from newsletter.web.ratelimit import UNLIMITED, Rate, RateLimits
from newsletter.web.services import Services, utc_now

__all__ = ["UNLIMITED", "Rate", "RateLimits", "create_app"]


def create_app(
    settings: Settings,
    store: SqlStore | None = None,
    clock: Callable[[], datetime] | None = None,
    *,
    rate_limits: RateLimits | None = None,
    proxies: int = 0,
    fetch: Callable[[str], bytes] | None = None,
) -> Flask:
    """The app for ``settings``. Without ``store``, the configured database is opened on
    first use (and closed by :func:`newsletter.web.services.close`); ``clock`` defaults to
    the real UTC time. ``rate_limits`` defaults to :class:`RateLimits` (``UNLIMITED`` turns
    them off). Behind ``proxies`` reverse proxies, the client's address, the scheme, the
    host and a path prefix are taken from their X-Forwarded-For, -Proto, -Host and -Prefix
    headers (trust no more hops than there are proxies: a client can send those headers
    too); without it, every visitor would share the proxy's address, and its rate limit.
    The server must then pass those headers on (:func:`newsletter.web.server.make_server`
    with the same ``proxies``). ``fetch`` gets the SNS certificates of /hooks/ses (default:
    over HTTPS with aiohttp)."""
    app = Flask(__name__, static_folder=None)
    ctx = Services(settings, store, clock or utc_now, rate_limits)
    app.extensions[Services.KEY] = ctx
    security.configure(app, ctx.secure)
    for area in (home, links, ask, static_files, robots, feeds, archive, health, hooks):
        app.register_blueprint(area.blueprint)
    app.register_blueprint(fediverse.blueprint)
    fediverse.configure(app)
    app.register_blueprint(admin.blueprint)
    hooks.configure(app, fetch)
    errors.register(app)
    access_log.register(app)
    compress.register(app)  # after_request runs last-registered first: logged as sent
    if proxies:
        fix = ProxyFix(
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_prefix=proxies
        )
        app.wsgi_app = fix  # type: ignore[method-assign]
    return app
