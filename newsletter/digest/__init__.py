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
"""

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
