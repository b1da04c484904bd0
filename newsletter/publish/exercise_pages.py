"""A page of its own for each exercise in the archive (how to do it, what it strengthens,
the weeks it was featured), and their index: archive/exercises/.

An exercise has a page once it is in the catalog, or was ever featured; one that left
the catalog keeps its page for the digests that link it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup

from newsletter.config import SendOn, Settings
from newsletter.digest.catalog import catalog_path
from newsletter.digest.compose import ExerciseView, exercise_view, long_date
from newsletter.digest.weeks import send_day
from newsletter.pictures.model import Picture
from newsletter.pictures.spec import load_pictures
from newsletter.pictures.svg import render
from newsletter.publish.pages import render_page
from newsletter.store.archive import Feature
from newsletter.store.exercises import ExerciseRecord

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")  # the catalog's rule; keeps paths inside
INDEX_NAME = "archive/exercises/index.html"


@dataclass(frozen=True)
class Featured:
    week: str
    href: str  # the digest's page, from an exercise's page
    date: str  # 2026-11-23
    issue_date: str  # Monday 23 November 2026


@dataclass(frozen=True)
class ExerciseEntry:
    slug: str
    href: str  # from the index
    view: ExerciseView
    weeks: tuple[Featured, ...]  # newest first
    picture: Markup | None = None  # the inline SVG, when exercises.yaml draws one


def picture_markup(root: Path, slug: str) -> Markup | None:
    """The inline SVG of one exercise of the site's catalog, when it draws one."""
    picture = load_pictures(catalog_path(root)).get(slug)
    return None if picture is None else _drawn(picture, slug)


def _drawn(picture: Picture, slug: str) -> Markup:
    # Safe as markup: render() writes numbers, the escaped description and the catalog's slug
    # (checked against catalog.SLUG); nothing in it is raw text from outside.
    return Markup(render(picture, slug))  # nosec B704


def page_name(slug: str) -> str:
    return f"archive/exercises/{slug}.html"


def is_slug(slug: str) -> bool:
    return len(slug) <= 100 and SLUG.fullmatch(slug) is not None


def shown_exercises(
    root: Path, send_on: SendOn, catalog: Sequence[ExerciseRecord], features: Sequence[Feature]
) -> list[ExerciseEntry]:
    """The exercises that have a page, in catalog order, each with its featured weeks."""
    weeks: dict[int, list[str]] = {}
    for feature in features:
        weeks.setdefault(feature.exercise_id, []).append(feature.week)
    pictures = load_pictures(catalog_path(root))
    return [
        _entry(send_on, exercise, weeks.get(exercise.id, []), pictures.get(exercise.slug))
        for exercise in catalog
        if is_slug(exercise.slug) and (exercise.active or exercise.id in weeks)
    ]


def exercise_page(settings: Settings, entry: ExerciseEntry) -> bytes:
    return render_page(
        settings, "archive/exercise.html", "../../", section="exercises", exercise=entry
    )


def exercises_index(settings: Settings, entries: Sequence[ExerciseEntry]) -> bytes:
    return render_page(
        settings, "archive/exercises.html", "../../", section="exercises", exercises=entries
    )


def _entry(
    send_on: SendOn, exercise: ExerciseRecord, weeks: list[str], picture: Picture | None
) -> ExerciseEntry:
    featured = []
    for week in sorted(weeks, reverse=True):
        day = send_day(week, send_on)
        featured.append(Featured(week, f"../{week}.html", day.isoformat(), long_date(day)))
    view = exercise_view(exercise)
    drawn = None if picture is None else _drawn(picture, exercise.slug)
    return ExerciseEntry(exercise.slug, f"{exercise.slug}.html", view, tuple(featured), drawn)
