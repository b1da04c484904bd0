"""/admin/fediverse: the fediverse account as its owner watches it: followers, the replies
that came in (each a question in the moderation queue), and how deliveries are going.
Owners only; 404 while feeds.yaml has no ``fediverse:``."""

from __future__ import annotations

from flask import abort
from werkzeug.wrappers import Response as BaseResponse

from newsletter.web.admin.base import area, blueprint, page, store
from newsletter.web.services import services

SHOWN = 30  # followers, replies, servers and failures listed


@blueprint.get("/fediverse")
@area("fediverse")
def fediverse() -> BaseResponse:
    ctx = services()
    if ctx.settings.fediverse is None:
        abort(404)
    now = ctx.clock()
    backlog = store().fedi_backlog(now)
    return page(
        "admin/fediverse.html",
        now=now,
        backlog=backlog,
        health=backlog.health(now),
        followers=store().recent_followers(SHOWN),
        replies=store().recent_replies(SHOWN),
        servers=store().troubled_servers(SHOWN),
        failures=store().recent_failures(SHOWN),
    )
