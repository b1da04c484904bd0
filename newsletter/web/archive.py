"""The digest archive: the index, one page per digest, and one per exercise; and a page
per answered question (/questions/N).

Each is the file ``publish`` wrote, else the same bytes rendered from the store. They are
pages in the site's look, under the pages' own Content-Security-Policy.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort

from newsletter.assets import IMMUTABLE
from newsletter.publish import (
    exercise_pages,
    render_archive_index,
    render_archive_page,
    render_exercise_page,
    render_exercises_index,
    render_picture,
    render_question_page,
)
from newsletter.publish.archive import is_week, page_name
from newsletter.publish.questions import file_name as question_file
from newsletter.web.responses import HTML, PNG, published_or_rendered
from newsletter.web.services import services

blueprint = Blueprint("archive", __name__)


@blueprint.get("/archive/")
@blueprint.get("/archive/index.html")
def index() -> Response:
    ctx = services()
    return published_or_rendered(
        "archive/index.html",
        HTML,
        lambda: render_archive_index(ctx.settings, ctx.store(), ctx.clock()),
    )


@blueprint.get("/archive/<week>.html")
def page(week: str) -> Response:
    if not is_week(week):  # also what keeps the path inside public/archive
        abort(404)
    ctx = services()
    return published_or_rendered(
        page_name(week),
        HTML,
        lambda: render_archive_page(ctx.settings, ctx.store(), week, ctx.clock()),
    )


@blueprint.get("/archive/exercises/")
@blueprint.get("/archive/exercises/index.html")
def exercises() -> Response:
    ctx = services()
    return published_or_rendered(
        exercise_pages.INDEX_NAME,
        HTML,
        lambda: render_exercises_index(ctx.settings, ctx.store(), ctx.clock()),
    )


@blueprint.get("/archive/exercises/<slug>.html")
def exercise(slug: str) -> Response:
    if not exercise_pages.is_slug(slug):  # also what keeps the path inside public/archive
        abort(404)
    ctx = services()
    return published_or_rendered(
        exercise_pages.page_name(slug),
        HTML,
        lambda: render_exercise_page(ctx.settings, ctx.store(), slug, ctx.clock()),
    )


@blueprint.get("/questions/<int:question_id>")
def question(question_id: int) -> Response:
    ctx = services()
    return published_or_rendered(
        question_file(question_id),
        HTML,
        lambda: render_question_page(ctx.settings, ctx.store(), question_id),
    )


@blueprint.get("/archive/exercises/<name>.png")
def picture(name: str) -> Response:
    """An exercise's picture as email links it (<slug>.<hash>.png): the name changes with
    the picture, so a browser or a mail proxy may keep it for ever."""
    if not exercise_pages.is_slug(name.partition(".")[0]):  # keeps the path inside
        abort(404)
    ctx = services()
    response = published_or_rendered(
        f"archive/exercises/{name}.png",
        PNG,
        lambda: render_picture(ctx.settings.root, f"{name}.png"),
    )
    response.headers["Cache-Control"] = IMMUTABLE
    return response
