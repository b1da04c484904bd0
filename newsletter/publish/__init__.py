"""Publish what was collected: RSS 2.0, Atom and JSON Feed, the digest archive, and a
page per answered question.

Reads the store through :class:`newsletter.store.SqlStore`; writes files
atomically and only when their bytes change; tells the WebSub hub (through ``sources/``)
which feeds changed. ``publish_site`` is what ``newsletter publish`` and ``run`` call; the
``render_*`` functions give the web app the same bytes before anything was published.
"""

from newsletter.publish.files import PublishError
from newsletter.publish.site import (
    FEEDS,
    PublishReport,
    RenderedFile,
    publish_site,
    render_archive_index,
    render_archive_page,
    render_exercise_page,
    render_exercises_index,
    render_feed,
    render_picture,
    render_question_page,
)

__all__ = [
    "FEEDS",
    "PublishError",
    "PublishReport",
    "RenderedFile",
    "publish_site",
    "render_archive_index",
    "render_archive_page",
    "render_exercise_page",
    "render_exercises_index",
    "render_feed",
    "render_picture",
    "render_question_page",
]
