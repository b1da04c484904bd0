"""The site's fediverse account (docs/fediverse.md), served by the app itself:

    /.well-known/webfinger   acct:news@host → the actor
    /.well-known/nodeinfo    → /nodeinfo/2.1
    /actor                   the actor (with its public key); /actor/outbox, /actor/followers
    /actor/notes/<key>       each of our Notes at its id (a Tombstone, 410, once deleted)
    /inbox                   POST, signed: Follow, Undo, replies (no CSRF token: the HTTP
                             signature proves the sender; unsigned or forged → 401)

Every route answers 404 while feeds.yaml has no ``fediverse:``. A Follow's Accept is sent
before the inbox answers (a few seconds at most; if the follower's server is slow, the next
`newsletter run` sends it), so a follow does not wait for cron to be accepted.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, abort, current_app, redirect, request
from werkzeug.exceptions import TooManyRequests

from newsletter import __version__
from newsletter.fediverse import activities
from newsletter.fediverse import actor as documents
from newsletter.fediverse.account import Account, open_account
from newsletter.fediverse.delivery import deliver
from newsletter.fediverse.receive import KeyCache, key_cache, receive
from newsletter.fediverse.signatures import Incoming
from newsletter.web.security import csrf_exempt
from newsletter.web.services import services

blueprint = Blueprint("fediverse", __name__)
KEY = "newsletter.fediverse"
MAX_BODY = 256 * 1024  # Mastodon's largest activities are a few KiB
ACTIVITY_JSON = "application/activity+json"
JRD = "application/jrd+json"
NODEINFO = 'application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.1#"'


class Federation:
    """The account and the remote keys, made on first use, once per app."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._account: Account | None = None
        self._keys: KeyCache | None = None

    def account(self) -> Account:
        ctx = services()
        if ctx.settings.fediverse is None:
            abort(404)
        with self._lock:
            if self._account is None:
                self._account = open_account(ctx.settings, ctx.store(), ctx.clock())
            return self._account

    def keys(self) -> KeyCache:
        account, clock = self.account(), services().clock
        with self._lock:
            if self._keys is None:
                self._keys = key_cache(account, clock)
            return self._keys


def configure(app: Flask) -> None:
    app.extensions[KEY] = Federation()


def _federation() -> Federation:
    found: Federation = current_app.extensions[KEY]
    return found


def _json(document: dict[str, Any], media_type: str = ACTIVITY_JSON, status: int = 200) -> Response:
    response = Response(json.dumps(document), status=status, mimetype="application/json")
    response.headers["Content-Type"] = media_type
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@blueprint.get("/.well-known/webfinger")
def webfinger() -> Response:
    found = documents.webfinger(_federation().account().identity, request.args.get("resource", ""))
    if found is None:
        abort(404)
    return _json(found, JRD)


@blueprint.get("/.well-known/nodeinfo")
def nodeinfo_links() -> Response:
    return _json(
        documents.nodeinfo_links(_federation().account().identity.base_url), "application/json"
    )


@blueprint.get("/nodeinfo/2.1")
def nodeinfo() -> Response:
    _federation().account()
    posts = services().store().outbox_count()
    return _json(documents.nodeinfo(__version__, posts), NODEINFO)


@blueprint.get("/actor")
def actor() -> Response:
    identity = _federation().account().identity
    if _wants_html():  # a person who clicked the profile link: the site
        return redirect(identity.site_url)  # type: ignore[return-value]
    return _json(documents.actor(identity))


def _wants_html() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", ACTIVITY_JSON, "application/ld+json"])
    return best == "text/html"


@blueprint.get("/actor/outbox")
def outbox() -> Response:
    identity, store = _federation().account().identity, services().store()
    if not request.args.get("page"):
        return _json(documents.outbox(identity, store.outbox_count()))
    before = request.args.get("before", type=int)
    rows = store.outbox(documents.OUTBOX_PAGE + 1, before)
    items = [json.loads(body) for _, body in rows[: documents.OUTBOX_PAGE]]
    more = rows[documents.OUTBOX_PAGE - 1][0] if len(rows) > documents.OUTBOX_PAGE else None
    return _json(documents.outbox_page(identity, items, more, request.url))


@blueprint.get("/actor/notes/<key>")
def note(key: str) -> Response:
    identity = _federation().account().identity
    found = services().store().note_activity(f"{identity.actor_id}/notes/{key}")
    if found is None:
        abort(404)
    document = activities.served_note(found[0], json.loads(found[1]))
    if document["type"] == "Tombstone":
        return _json(document, status=410)
    url = document.get("url")
    if _wants_html() and isinstance(url, str):  # a person who clicked it: the page
        return redirect(url)  # type: ignore[return-value]
    return _json(document)


@blueprint.get("/actor/followers")
def followers() -> Response:
    identity = _federation().account().identity
    return _json(documents.followers(identity, services().store().follower_count()))


@blueprint.post("/inbox")
@csrf_exempt  # the HTTP signature proves the sender; a browser's form cannot make one
def inbox() -> Response:
    federation, ctx = _federation(), services()
    account = federation.account()
    request.max_content_length = MAX_BODY
    _limit_instance()
    body = request.get_data(cache=False)
    path = request.full_path if request.query_string else request.path
    incoming = Incoming(
        request.method,
        account.identity.base_url.rstrip("/") + path,
        list(request.headers.items()),
        body,
    )
    answer = receive(incoming, ctx.clock(), account, ctx.store(), federation.keys())
    if answer.status >= 400:
        current_app.logger.warning("POST /inbox refused (%s): %s", answer.status, answer.text)
    if answer.follower is not None:
        _send_accept(account, ctx.store(), ctx.clock, answer.follower)
    return Response(answer.text + "\n", status=answer.status, mimetype="text/plain")


def _limit_instance() -> None:
    """At most so many POSTs a second from one server (by its signature's key id), before
    any key is fetched for it."""
    bucket = services().bucket("inbox")
    if bucket is None:
        return
    header = request.headers.get("Signature-Input") or request.headers.get("Signature") or ""
    marker = header.lower().find("keyid=")
    host = urlsplit(header[marker + 6 :].strip('"')).netloc if marker >= 0 else ""
    wait = bucket.take(host or (request.remote_addr or ""), services().clock().timestamp())
    if wait > 0:
        raise TooManyRequests(retry_after=max(1, math.ceil(wait)))


def _send_accept(account: Account, store: Any, clock: Callable[[], datetime], key: str) -> None:
    """The Accept now, within a few seconds; left pending for `run` if it does not go."""
    quick = replace(account, bounds=replace(account.bounds, timeout=5.0, connect_timeout=3.0))
    deliver(store, quick, clock, "web", max_rounds=1, activity_key=key)
