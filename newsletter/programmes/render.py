"""A programme step's email: rendered once, the same for every reader at that step.

It shows the step's exercise as the digest shows its exercise of the week (the picture a
PNG on the site, the CSS inlined), the sets and how often, the routine so far (the
earlier steps' exercises, by name and sets), the programme's safety note, which step of
how many, and the readers' footer. Like a digest, what it returns carries placeholders
(see :mod:`newsletter.mail.message`): the site's links on ``%%SITE_URL%%/``, filled from
the base URL when it is sent or shown, and ``%%UNSUBSCRIBE_URL%%`` and
``%%PREFERENCES_URL%%``, filled per reader by the sender (``web_copy`` fills all three for
a preview). It is measured as sent, by :mod:`newsletter.mail.size`, against the size Gmail
shows unclipped.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urljoin

from jinja2 import Environment

from newsletter.config import Settings
from newsletter.digest.catalog import catalog_path, load_catalog
from newsletter.digest.compose import (
    PREHEADER_CHARS,
    UNSUBSCRIBE_PLACEHOLDER,
    ExerciseView,
    exercise_view,
    web_copy,
)
from newsletter.digest.picture import email_pictures
from newsletter.digest.render import inline_styles
from newsletter.errors import BadInput, ConfigError
from newsletter.formats import FORMATS
from newsletter.html_text import excerpt
from newsletter.mail.message import CLIP_BYTES, PREFERENCES_PLACEHOLDER, SITE_PLACEHOLDER
from newsletter.mail.size import SizeOf, digest_size
from newsletter.programmes.file import load_site_programmes, programme_by_key
from newsletter.programmes.model import Programme, Step
from newsletter.store.exercises import ExerciseData
from newsletter.store.programmes import StepEmail
from newsletter.templating import make_environment

WEEK = 7  # days: a programme whose steps are a week apart counts in weeks


@dataclass(frozen=True)
class StepView:
    """What the step's templates see: plain text, every link absolute once filled in."""

    subject: str
    preheader: str
    language: str
    site_title: str
    site_url: str
    programme: str  # its title
    progress: str  # "Week 3 of 11"
    kicker: str  # the line above the exercise's name
    words: tuple[str, ...]  # the step's introduction, a paragraph each
    exercise: ExerciseView  # with its dose: the sets and how often
    routine: tuple[RoutineLine, ...]  # the earlier steps' exercises, first first
    safety: str
    archive_url: str
    feed_urls: tuple[tuple[str, str], ...]  # (label, url)
    unsubscribe_url: str = UNSUBSCRIBE_PLACEHOLDER
    preferences_url: str = PREFERENCES_PLACEHOLDER


@dataclass(frozen=True)
class RoutineLine:
    """An earlier step's exercise, as the routine so far repeats it."""

    name: str
    sets: str


class StepRenderer:
    """Renders the steps of a site's programmes, reading its exercise catalog, pictures
    and templates once (``catalog``: the exercises as loaded, default the site's file)."""

    def __init__(
        self,
        settings: Settings,
        catalog: Sequence[ExerciseData] | None = None,
        env: Environment | None = None,
        size: SizeOf | None = None,
        budget: int = CLIP_BYTES,
    ) -> None:
        if catalog is None:
            catalog = load_catalog(catalog_path(settings.root))
        self.settings = settings
        self.exercises = {exercise.slug: exercise for exercise in catalog}
        self.pictures = email_pictures(settings.root)
        self.env = env or make_environment(settings.root)
        self.size = size or digest_size(settings)
        self.budget = budget  # bytes as sent

    def render(self, programme: Programme, number: int) -> StepEmail:
        """Step ``number`` (from 1) of ``programme``: its subject, HTML and text."""
        view = self.view(programme, number)
        template = programme.step(number).template or programme.template
        page = self.env.get_template(f"email/{template}.html").render(step=view)
        html = inline_styles(page)
        text = self.env.get_template(f"email/{template}.txt").render(step=view)
        size = self.size(view.subject, text, html)
        if size > self.budget:
            raise ConfigError(
                f"{_where(programme, number)} is {size:,} bytes as sent, over the "
                f"{self.budget:,} Gmail shows unclipped; shorten its words"
            )
        return StepEmail(view.subject, html, text)

    def view(self, programme: Programme, number: int) -> StepView:
        if not 1 <= number <= programme.length:
            raise BadInput(
                f"programme '{programme.key}' has {programme.length} step(s); "
                f"ask for one from 1 to {programme.length}"
            )
        step = programme.step(number)
        exercise = self.exercise(programme, number)
        base = SITE_PLACEHOLDER  # filled in when sent or shown (see mail.message)
        shown = exercise_view(exercise, self.pictures.get(exercise.slug), base)
        unit = "Week" if _weekly(programme) else "Step"
        return StepView(
            subject=step.subject or f"{programme.title}, {unit.lower()} {number}: {exercise.name}",
            preheader=excerpt(_preheader(step, exercise), PREHEADER_CHARS),
            language=self.settings.site.language,
            site_title=self.settings.site.title,
            site_url=self.settings.site.url,
            programme=programme.title,
            progress=f"{unit} {number} of {programme.length}",
            kicker="New in your routine" if number > 1 else "Your first exercise",
            words=tuple(step.words.split("\n\n")) if step.words else (),
            exercise=dataclasses.replace(shown, tip="", dose=_dose(step)),
            routine=tuple(
                RoutineLine(self.exercise(programme, n).name, programme.step(n).sets)
                for n in range(1, number)
            ),
            safety=programme.safety,
            archive_url=urljoin(base, "archive/"),
            feed_urls=tuple((feed.title, urljoin(base, feed.path)) for feed in FORMATS),
        )

    def exercise(self, programme: Programme, number: int) -> ExerciseData:
        slug = programme.step(number).exercise
        found = self.exercises.get(slug)
        if found is None:  # the catalog changed since the programmes were read
            raise ConfigError(
                f"{_where(programme, number)} features '{slug}', which is not in the "
                "exercise catalog (exercises.yaml); add it back or change the step"
            )
        return found


def preview_step(settings: Settings, key: str, number: int) -> StepEmail:
    """Step ``number`` of the site's programme ``key`` as a browser shows it: its links
    on the base URL of now, the reader's own links on the site (nothing is recorded)."""
    programme = programme_by_key(load_site_programmes(settings.root), key)
    rendered = StepRenderer(settings).render(programme, number)
    base_url = settings.env.base_url
    html, text = web_copy(rendered.html, base_url), web_copy(rendered.text, base_url)
    return StepEmail(rendered.subject, html, text)


def _weekly(programme: Programme) -> bool:
    return all(step.after_days == WEEK for step in programme.steps[1:])


def _preheader(step: Step, exercise: ExerciseData) -> str:
    """The line inboxes show after the subject: the step's words, else the exercise's use."""
    if step.words:
        return step.words.split("\n\n")[0]
    return f"{exercise.name} strengthens {exercise.strengthens}."


def _dose(step: Step) -> tuple[tuple[str, str], ...]:
    return (("Your sets:", step.sets), ("How often:", step.how_often))


def _where(programme: Programme, number: int) -> str:
    line = programme.step(number).line
    at = f" (programmes.yaml line {line})" if line else ""
    return f"step {number} of programme '{programme.key}'{at}"
