"""The published feeds: RSS, Atom, JSON Feed, and the feed of past digests."""

from __future__ import annotations

from flask import Blueprint, Response

from newsletter.publish import render_feed
from newsletter.web.responses import ATOM, JSON_FEED, RSS, published_or_rendered
from newsletter.web.services import services

blueprint = Blueprint("feeds", __name__)


def _feed(name: str, content_type: str) -> Response:
    ctx = services()
    return published_or_rendered(
        name, content_type, lambda: render_feed(ctx.settings, ctx.store(), name, ctx.clock())
    )


@blueprint.get("/feed.xml")
def rss() -> Response:
    return _feed("feed.xml", RSS)


@blueprint.get("/atom.xml")
def atom() -> Response:
    return _feed("atom.xml", ATOM)


@blueprint.get("/feed.json")
def json_feed() -> Response:
    return _feed("feed.json", JSON_FEED)


@blueprint.get("/archive/feed.xml")
def digests() -> Response:
    return _feed("archive/feed.xml", RSS)
