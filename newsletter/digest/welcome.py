"""What the welcome email says (issue 22): when the reader's digest comes (the weekday and
time in the site's timezone, every week or once a month as they chose), this week's
exercise as the digest shows it (with its picture), a link to their preferences, and the
programmes they can join there.

This week's exercise is the one the rotation gives the current week: the week's own when
its digest chose it (or the owner pinned it), else the one its digest will feature. Nothing
is recorded for the welcome: the digest records its choice when it is built, as always.

Sending, once, is ``newsletter.mail.welcome``'s; :func:`welcome_readers` joins the two.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from newsletter.config import SendOn, Settings
from newsletter.digest.build import sync_catalog
from newsletter.digest.compose import (
    UNSUBSCRIBE_PLACEHOLDER,
    ExerciseView,
    exercise_view,
    long_date,
)
from newsletter.digest.picture import email_picture
from newsletter.digest.render import inline_styles
from newsletter.digest.rotation import choose_exercise
from newsletter.digest.weeks import current_week, send_day, send_time, shift_week
from newsletter.mail.message import PREFERENCES_PLACEHOLDER
from newsletter.mail.transport import Transport
from newsletter.mail.welcome import WelcomeReport, WelcomeWords, send_welcomes
from newsletter.store import SqlStore
from newsletter.store.welcome_emails import WelcomeToSend
from newsletter.subscribers.preferences import choice_from_stored, first_of_month
from newsletter.templating import make_environment

HTML_TEMPLATE = "email/welcome.html"
TEXT_TEMPLATE = "email/welcome.txt"
# Key, title and summary of each programme a reader can join on their preferences page.
Programmes = Sequence[tuple[str, str, str]]


@dataclass(frozen=True)
class Schedule:
    """When a reader's digest comes."""

    words: str  # "every Monday at 07:00 (Europe/London time)", or "on the month's first …"
    first: date  # the local date of their first one


@dataclass(frozen=True)
class WelcomeView:
    """What the welcome templates see: plain values, every link absolute."""

    subject: str
    preheader: str
    language: str
    site_title: str
    site_url: str
    name: str | None
    schedule: str  # Schedule.words
    first_digest: str  # "Monday 7 December 2026"
    monthly: bool
    exercise: ExerciseView
    programmes: tuple[tuple[str, str], ...]  # (title, summary) of those they have not joined
    preferences_url: str = PREFERENCES_PLACEHOLDER  # each reader's, filled in when sent
    unsubscribe_url: str = UNSUBSCRIBE_PLACEHOLDER


def schedule(send_on: SendOn, timezone: str, monthly: bool, now: datetime) -> Schedule:
    """When the digest comes to a reader who confirms at ``now``: their first is the next
    one due (a monthly reader's, the next of a month's first week)."""
    week = current_week(now, timezone)
    for ahead in range(7):  # a month's first send day comes within five weeks
        day = send_day(shift_week(week, ahead), send_on)
        due = send_time(shift_week(week, ahead), send_on, timezone)
        if due >= now and (first_of_month(day.day) or not monthly):
            break
    at = f"{send_on.at:%H:%M}"
    when = f"on the month's first {day:%A} at {at}" if monthly else f"every {day:%A} at {at}"
    return Schedule(f"{when} ({timezone} time)", day)


def welcome_readers(
    settings: Settings,
    store: SqlStore,
    clock: Callable[[], datetime],
    only: int | None = None,
    programmes: Programmes = (),
    transport: Transport | None = None,
) -> WelcomeReport:
    """Welcome each reader owed it, once (`run`'s welcome step); with ``only``, that reader
    alone, if their welcome was never tried (what confirming sends at once). ``programmes``:
    (key, title, summary) of the programmes a reader can join, from programmes.yaml
    (``newsletter.programmes``, which builds on this package: its callers pass them); each
    is offered to a reader not in it yet."""
    write = WelcomeWriter(settings, store, programmes)
    return send_welcomes(settings, store, clock, write, only, transport)


class WelcomeWriter:
    """Writes one reader's welcome (``newsletter.mail.welcome.Write``)."""

    def __init__(self, settings: Settings, store: SqlStore, programmes: Programmes = ()) -> None:
        self.settings, self.store = settings, store
        self.programmes = tuple(programmes)
        self.env = make_environment(settings.root)
        self._featured: tuple[str, ExerciseView] | None = None  # (week, its exercise)

    def __call__(self, reader: WelcomeToSend, now: datetime) -> WelcomeWords:
        choice = choice_from_stored(reader.choice, reader.frequency, None)
        view = self.view(reader.name, choice.frequency == "monthly", now)
        view = replace(view, programmes=self.offered(reader.subscriber_id))
        text = self.env.get_template(TEXT_TEMPLATE).render(welcome=view)
        if choice.format == "text":
            return WelcomeWords(view.subject, text, "")
        html = inline_styles(self.env.get_template(HTML_TEMPLATE).render(welcome=view))
        return WelcomeWords(view.subject, text, html)

    def view(self, name: str | None, monthly: bool, now: datetime) -> WelcomeView:
        newsletter, site = self.settings.newsletter, self.settings.site
        when = schedule(newsletter.send_on, newsletter.timezone, monthly, now)
        exercise = self.exercise(now)
        first = long_date(when.first)
        return WelcomeView(
            subject=f"Welcome! Your first digest comes on {first}",
            preheader=f"This week's foot exercise: {exercise.name}",
            language=site.language,
            site_title=site.title,
            site_url=site.url,
            name=name,
            schedule=when.words,
            first_digest=first,
            monthly=monthly,
            exercise=exercise,
            programmes=tuple((title, summary) for _, title, summary in self.programmes),
        )

    def offered(self, subscriber_id: int) -> tuple[tuple[str, str], ...]:
        """The programmes the reader has not joined (the sign-up form may have asked)."""
        if not self.programmes:
            return ()
        joined = {place.programme for place in self.store.enrolments(subscriber_id)}
        return tuple((t, summary) for key, t, summary in self.programmes if key not in joined)

    def exercise(self, now: datetime) -> ExerciseView:
        """This week's exercise, looked up once a week per writer."""
        week = current_week(now, self.settings.newsletter.timezone)
        if self._featured is None or self._featured[0] != week:
            catalog = self.store.exercise_catalog() or sync_catalog(
                self.settings.root, self.store, now
            )
            chosen = choose_exercise(week, catalog, self.store.featured_weeks())
            exercise = next(e for e in catalog if e.id == chosen.exercise_id)
            picture = email_picture(self.settings.root, exercise.slug)
            base = self.settings.env.base_url
            self._featured = (week, exercise_view(exercise, picture, base))
        return self._featured[1]
