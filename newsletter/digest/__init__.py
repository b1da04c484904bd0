"""The weekly digest: what is new on the site, with a featured foot exercise of the week.

weeks.py      ISO weeks and send times in the newsletter's timezone (pure)
catalog.py    exercises.yaml, checked line by line
rotation.py   which exercise a week features (pure)
select.py     which articles and questions a digest covers (pure)
compose.py    what the templates see: subject, preheader, items, links (pure)
render.py     HTML and text, rendered once, under Gmail's clipping size
build.py      build once and record / preview without recording
due.py        the step of `newsletter run`: build when send_on is reached
release.py    when a digest may be built and mailed: never early, late only when asked (pure)
exercises.py  listing the catalog and pinning a week's exercise

The names below load their modules on first use, as ``newsletter.mail``'s do: a command
that reads one small part (`status`, through programmes.yaml's check against the catalog)
does not pay for building and rendering (Jinja2, Markdown).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from newsletter.lazy import first_use

if TYPE_CHECKING:
    from newsletter.digest.build import Built, Preview, build_digest, preview_digest, sync_catalog
    from newsletter.digest.compose import UNSUBSCRIBE_PLACEHOLDER, web_copy
    from newsletter.digest.due import DigestReport, build_due_digest
    from newsletter.digest.exercises import Overview, exercise_overview, feature_exercise
    from newsletter.digest.release import (
        NeedsLate,
        NotDue,
        SendChoice,
        check_send,
        latest_due,
        week_to_send,
    )
    from newsletter.digest.weeks import BadWeek, current_week, parse_week, send_time, week_bounds

_HOMES = {
    "Built": "newsletter.digest.build",
    "Preview": "newsletter.digest.build",
    "build_digest": "newsletter.digest.build",
    "preview_digest": "newsletter.digest.build",
    "sync_catalog": "newsletter.digest.build",
    "UNSUBSCRIBE_PLACEHOLDER": "newsletter.digest.compose",
    "web_copy": "newsletter.digest.compose",
    "DigestReport": "newsletter.digest.due",
    "build_due_digest": "newsletter.digest.due",
    "Overview": "newsletter.digest.exercises",
    "exercise_overview": "newsletter.digest.exercises",
    "feature_exercise": "newsletter.digest.exercises",
    "NeedsLate": "newsletter.digest.release",
    "NotDue": "newsletter.digest.release",
    "SendChoice": "newsletter.digest.release",
    "check_send": "newsletter.digest.release",
    "latest_due": "newsletter.digest.release",
    "week_to_send": "newsletter.digest.release",
    "BadWeek": "newsletter.digest.weeks",
    "current_week": "newsletter.digest.weeks",
    "parse_week": "newsletter.digest.weeks",
    "send_time": "newsletter.digest.weeks",
    "week_bounds": "newsletter.digest.weeks",
}

__all__ = [
    "UNSUBSCRIBE_PLACEHOLDER",
    "BadWeek",
    "Built",
    "DigestReport",
    "NeedsLate",
    "NotDue",
    "Overview",
    "Preview",
    "SendChoice",
    "build_digest",
    "build_due_digest",
    "check_send",
    "current_week",
    "exercise_overview",
    "feature_exercise",
    "latest_due",
    "parse_week",
    "preview_digest",
    "send_time",
    "sync_catalog",
    "web_copy",
    "week_bounds",
    "week_to_send",
]

__getattr__ = first_use(__name__, _HOMES)
