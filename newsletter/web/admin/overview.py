"""/admin/: the overview (last run, feeds with problems first, the next digest,
subscribers and their growth, the fediverse account) and /admin/activity. Owners only."""

from __future__ import annotations

from datetime import datetime

from flask import abort
from markupsafe import Markup
from werkzeug.wrappers import Response as BaseResponse

from newsletter.admin.digest import next_digest
from newsletter.admin.overview import (
    attention,
    growth_sentence,
    growth_since,
    growth_svg,
    problem_first,
    run_story,
    weekly_growth,
)
from newsletter.store.entries import EntryStatus
from newsletter.store.feeds import split_retired
from newsletter.web.admin.base import area, blueprint, done, log, page, store
from newsletter.web.services import services

ACTIVITY = 200
RECENT_REPLIES = 50  # the fediverse card counts the replies among these


@blueprint.get("/")
@area("overview")
def overview() -> BaseResponse:
    ctx = services()
    now, zone = ctx.clock(), ctx.settings.newsletter.timezone
    growth = weekly_growth(store().growth_events(growth_since(now, zone)), now, zone)
    run = store().last_run()
    report = run.report if run else None
    # A retired feed (removed from feeds.yaml) is not a problem.
    feeds = problem_first(split_retired(store().feed_states(), ctx.settings.feeds)[0])
    return page(
        "admin/overview.html",
        run=run,
        problems=attention(report, feeds),
        story=run_story(report),
        feeds=feeds,
        now=now,
        upcoming=next_digest(ctx.settings, store(), now),
        counts=store().subscriber_counts(),
        growth=growth,
        growth_said=growth_sentence(growth),
        chart=Markup(growth_svg(growth)),  # nosec B704  # numbers and our own labels only
        fediverse=_fediverse(now) if ctx.settings.fediverse is not None else None,
    )


def _fediverse(now: datetime) -> dict[str, object]:
    backlog = store().fedi_backlog(now)
    replies = store().recent_replies(RECENT_REPLIES)
    return {
        "backlog": backlog,
        "health": backlog.health(now),
        "replies": len(replies),
        "pending": sum(1 for reply in replies if reply.status == EntryStatus.PENDING),
    }


@blueprint.post("/feeds/<int:feed_id>/try-now")
@area("overview")
def try_now(feed_id: int) -> BaseResponse:
    if not store().try_feed_now(feed_id, services().clock()):
        abort(404)
    log("asked to fetch a feed now", f"#{feed_id}")
    return done("admin.overview", "the feed is fetched at the next run")


@blueprint.get("/activity")
@area("activity")
def activity() -> BaseResponse:
    return page("admin/activity.html", lines=store().activity(ACTIVITY))
