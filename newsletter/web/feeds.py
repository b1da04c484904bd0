"""The published feeds (``newsletter.formats``): the entries' feeds and the past digests'."""

from __future__ import annotations

from flask import Blueprint, Response

from newsletter.formats import DIGESTS, FORMATS, FeedFormat
from newsletter.publish import render_feed
from newsletter.web.responses import published_or_rendered
from newsletter.web.services import services

blueprint = Blueprint("feeds", __name__)


def _feed(feed: FeedFormat) -> Response:
    ctx = services()
    return published_or_rendered(
        feed.path,
        f"{feed.media_type}; charset=utf-8",
        lambda: render_feed(ctx.settings, ctx.store(), feed.path, ctx.clock()),
    )


for _format in (*FORMATS, DIGESTS):
    blueprint.add_url_rule(
        "/" + _format.path, _format.key, lambda feed=_format: _feed(feed), methods=["GET"]
    )
