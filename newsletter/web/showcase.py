"""What the home page shows a visitor deciding whether to subscribe, in this order: this
week's foot exercise with its picture, then the latest digest's articles and its readers'
questions with their answers, each linking to its archive page.

Reading only: this week's exercise is the one recorded for the week, else the one the
rotation would choose now (the same function the digest uses, so the page and the
coming digest agree unless the owner pins another one meanwhile).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from markupsafe import Markup

from newsletter.config import Newsletter
from newsletter.digest.compose import ExerciseView, ItemView, exercise_view, item_views
from newsletter.digest.release import released
from newsletter.digest.rotation import NoExercises, choose_exercise
from newsletter.digest.weeks import current_week
from newsletter.html_text import plain_text
from newsletter.publish.archive import exercise_href, is_week
from newsletter.publish.exercise_pages import picture_markup
from newsletter.store import SqlStore
from newsletter.store.entries import EntryKind
from newsletter.store.exercises import ExerciseRecord

HEADLINES = 5  # articles
QUESTIONS = 3
# Every visit to the home page would read the catalog, the weeks and the latest digest;
# they change once a week, so a minute-old answer is as good and costs nothing.
KEEP = timedelta(minutes=1)


@dataclass(frozen=True)
class Showcase:
    exercise: ExerciseView | None
    exercise_href: str | None  # relative to the archive: exercises/<slug>.html
    picture: Markup | None  # the exercise's inline SVG
    digest_subject: str | None
    digest_href: str | None  # relative to the archive: <week>.html
    articles: tuple[ItemView, ...]
    questions: tuple[ItemView, ...]  # answered first, each with its answer when it has one
    more: int  # the latest digest's items beyond those shown


def showcase(root: Path, newsletter: Newsletter, store: SqlStore, now: datetime) -> Showcase:
    """The home page's: this week's exercise (its picture from the site folder ``root``)
    and the latest digest mailed, by ``newsletter``'s send time and timezone."""
    week = current_week(now, newsletter.timezone)
    exercise = this_weeks_exercise(store, week)
    # Only a digest already mailed: one built ahead stays off the site until its send time.
    out = released(store.digest_summaries(), now, newsletter)
    latest = next((d for d in out if is_week(d.week)), None)
    digest = store.archived_digest(latest.week) if latest else None
    entries = digest.entries if digest else ()
    articles = [e for e in entries if e.kind != EntryKind.QUESTION][:HEADLINES]
    # Answered questions are what a visitor most wants to read: they come first.
    asked = [e for e in entries if e.kind == EntryKind.QUESTION]
    questions = sorted(asked, key=lambda e: not e.answer_html)[:QUESTIONS]
    return Showcase(
        exercise=exercise_view(exercise) if exercise else None,
        exercise_href=exercise_href(exercise.slug) if exercise else None,
        picture=picture_markup(root, exercise.slug) if exercise else None,
        digest_subject=plain_text(latest.subject) or f"Week {latest.week}" if latest else None,
        digest_href=f"{latest.week}.html" if latest else None,
        articles=item_views(newsletter.timezone, articles),
        questions=item_views(newsletter.timezone, questions),
        more=len(entries) - len(articles) - len(questions),
    )


def this_weeks_exercise(store: SqlStore, week: str) -> ExerciseRecord | None:
    catalog = store.exercise_catalog()
    try:
        choice = choose_exercise(week, catalog, store.featured_weeks())
    except NoExercises:  # a site without exercises.yaml loaded yet
        return None
    return next((e for e in catalog if e.id == choice.exercise_id), None)
