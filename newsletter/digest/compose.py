"""What the digest templates see: plain values, every link absolute, every text plain.

Titles, excerpts and exercise texts are text; the HTML template escapes them. The one
thing marked safe is the editor's note, and only by ``digest.note``, after the allowlist.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

from markupsafe import Markup

from newsletter.config import Newsletter, Site
from newsletter.digest.note import note_markup, note_text
from newsletter.digest.select import Sections
from newsletter.digest.weeks import send_day
from newsletter.formats import FORMATS
from newsletter.html_text import excerpt, one_line, plain_text
from newsletter.mail.message import PREFERENCES_PLACEHOLDER, SITE_PLACEHOLDER, with_site_url
from newsletter.pictures.png import HostedPicture
from newsletter.store.digests import DigestEntry
from newsletter.store.entries import EntryKind
from newsletter.store.exercises import ExerciseData, ExerciseRecord

# The delivery step replaces this with each subscriber's signed unsubscribe URL; the
# web archive and `preview` replace it with the base URL (see ``web_copy``).
UNSUBSCRIBE_PLACEHOLDER = "%%UNSUBSCRIBE_URL%%"
PREHEADER_CHARS = 140
EXCERPT_CHARS = 260  # a few lines per item, not the whole article
# The seed's advice, under every exercise.
TIP = (
    "Once or twice a week is plenty: 10 to 15 minutes, many of them sitting in front of "
    "the TV. Stop if it hurts, and see a physical therapist about pain that does not go away."
)
NOTHING_NEW = (
    "Nothing new on the site this week, so it is just you and your feet. See you next week!"
)


@dataclass(frozen=True)
class ItemView:
    title: str
    link: str | None
    excerpt: str
    source: str  # the feed's name, or who asked
    date: str  # "24 Nov"
    answer: tuple[str, ...] = ()  # the owner's answer, a paragraph each

    @property
    def meta(self) -> str:
        return f"{self.source} \u00b7 {self.date}" if self.source else self.date


@dataclass(frozen=True)
class ImageView:
    """An <img> of the email: an absolute URL (once the site URL is filled in), its size
    in CSS pixels, and the words a reader who blocks images reads instead."""

    src: str
    width: int
    height: int
    alt: str


@dataclass(frozen=True)
class ExerciseView:
    name: str
    how: str
    strengthens: str
    equipment_text: str  # what you need
    sitting: bool
    sitting_text: str
    tip: str = TIP  # "": none
    image: ImageView | None = None  # the picture, in email only (the web draws it inline)
    # What a programme prescribes: (label, value) lines, e.g. ("How often:", "twice a week").
    dose: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class DigestView:
    subject: str
    preheader: str
    language: str
    site_title: str
    site_url: str
    week: str
    issue_date: str  # "Monday 23 November 2026"
    exercise: ExerciseView | None  # None: the reader turned the exercise off
    articles: tuple[ItemView, ...]
    questions: tuple[ItemView, ...]
    more: int
    archive_url: str
    feed_urls: tuple[tuple[str, str], ...]  # (label, url)
    unsubscribe_url: str
    nothing_new: str = NOTHING_NEW
    # The newest answered question, with its answer, in a section of its own.
    question_of_week: ItemView | None = None
    preferences_url: str = PREFERENCES_PLACEHOLDER
    # A digest covering several weeks (a monthly reader's): the exercises of the weeks
    # before this one, by name, oldest first; empty for a week's digest.
    earlier_exercises: tuple[str, ...] = ()
    monthly: bool = False

    @property
    def kind(self) -> str:
        return "Your monthly digest" if self.monthly else "Weekly digest"

    # The editor's note at the top: HTML kept to the allowlist, and its plain text.
    note_html: Markup | None = None
    note_text: str = ""
    # The titles of the programmes a reader may start: a "Start …" line each in the footer,
    # linking to their preferences page's #programme section.
    offers: tuple[str, ...] = ()


def compose(
    site: Site,
    newsletter: Newsletter,
    week: str,
    exercise: ExerciseRecord | None,
    chosen: Sections,
    earlier: Sequence[str] | None = None,
    note: str | None = None,
    picture: HostedPicture | None = None,
    offers: Sequence[str] = (),
) -> DigestView:
    """The digest's view. ``earlier``: for a digest covering several weeks, the names of
    the exercises of the weeks before this one (None: this week's digest alone); ``note``:
    the editor's (Markdown); ``offers``: the titles of the programmes a reader may start.
    ``site`` names the site and its language; ``newsletter`` dates the issue."""
    zone = ZoneInfo(newsletter.timezone)
    base = SITE_PLACEHOLDER  # filled in when sent or shown (see mail.message)
    articles = tuple(_item(e, zone) for e in chosen.articles)
    questions = tuple(_item(e, zone) for e in chosen.questions)
    featured, others = question_of_the_week(questions)
    said = subject(exercise.name if exercise else None, len(articles), len(questions))
    return DigestView(
        subject=f"Your month: {said}" if earlier is not None else said,
        preheader=preheader(exercise, articles + questions),
        language=site.language,
        site_title=site.title,
        site_url=site.url,
        week=week,
        issue_date=long_date(send_day(week, newsletter.send_on)),
        exercise=_exercise(exercise, _image(picture, base)) if exercise else None,
        articles=articles,
        questions=others,
        question_of_week=featured,
        more=chosen.more,
        archive_url=urljoin(base, "archive/"),
        feed_urls=tuple((feed.title, urljoin(base, feed.path)) for feed in FORMATS),
        unsubscribe_url=UNSUBSCRIBE_PLACEHOLDER,
        earlier_exercises=tuple(earlier or ()),
        monthly=earlier is not None,
        note_html=note_markup(note),
        note_text=note_text(note) if note else "",
        offers=tuple(offers),
    )


def question_of_the_week(
    questions: tuple[ItemView, ...],
) -> tuple[ItemView | None, tuple[ItemView, ...]]:
    """The newest answered question (questions come newest first), and the others."""
    for index, item in enumerate(questions):
        if item.answer:
            return item, questions[:index] + questions[index + 1 :]
    return None, questions


def subject(exercise_name: str | None, articles: int, questions: int) -> str:
    """The From: line already names the site, so the subject says what is inside."""
    news = [
        _count(articles, "new article", "new articles"),
        _count(questions, "reader question", "reader questions"),
    ]
    said = " and ".join(part for part in news if part)
    if exercise_name is None:
        return said[:1].upper() + said[1:] if said else "Nothing new this week"
    if not said:
        return f"This week's foot exercise: {exercise_name}"
    return f"{exercise_name}, plus {said}"


def preheader(exercise: ExerciseRecord | None, items: tuple[ItemView, ...]) -> str:
    """The line inboxes show after the subject: the headlines, else the exercise's use."""
    if items or exercise is None:
        text = "Inside: " + " · ".join(item.title for item in items)
    else:
        sitting = " You can do it sitting down." if exercise.sitting else ""
        text = f"It strengthens {exercise.strengthens}.{sitting}"
    return excerpt(text, PREHEADER_CHARS)


def long_date(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def web_copy(document: str, base_url: str) -> str:
    """A digest for the web (archive, preview): the unsubscribe link leads to the site,
    and the site's links are on today's base URL."""
    personal = document.replace(UNSUBSCRIBE_PLACEHOLDER, base_url)
    return with_site_url(personal.replace(PREFERENCES_PLACEHOLDER, base_url), base_url)


def _count(n: int, one: str, many: str) -> str:
    return "" if n == 0 else f"{n} {one if n == 1 else many}"


def _item(entry: DigestEntry, zone: ZoneInfo) -> ItemView:
    if entry.kind == EntryKind.QUESTION:
        source = f"Asked by {one_line(entry.author)}" if entry.author else "A reader asks"
    else:
        source = entry.feed_name or ""
    return ItemView(
        title=one_line(entry.title) or "(untitled)",
        link=_web_link(entry.link),
        excerpt=excerpt(entry.summary_html or entry.content_html, EXCERPT_CHARS),
        source=source,
        date=_short_date(entry.published_at, zone),
        answer=answer_paragraphs(entry.answer_html or ""),
    )


def answer_paragraphs(answer_html: str) -> tuple[str, ...]:
    """An answer as text paragraphs (the console stores it as ``<p>`` blocks)."""
    blocks = re.split(r"</p\s*>", answer_html, flags=re.I)
    found = (plain_text(block, blocks_as_spaces=True) for block in blocks)
    return tuple(text for text in found if text)


def _web_link(link: str | None) -> str | None:
    """Only http(s) links go into an email; anything else shows the title unlinked."""
    if link and urlsplit(link).scheme.lower() in ("http", "https"):
        return link
    return None


def _short_date(moment: datetime, zone: ZoneInfo) -> str:
    day = moment.astimezone(zone).date()
    return f"{day.day} {day:%b}"


def _image(picture: HostedPicture | None, base: str) -> ImageView | None:
    if picture is None:
        return None
    return ImageView(urljoin(base, picture.path), picture.width, picture.height, picture.alt)


def _exercise(
    exercise: ExerciseRecord | ExerciseData, image: ImageView | None = None
) -> ExerciseView:
    equipment = exercise.equipment.strip()
    needs = equipment.lower() not in ("", "none")
    return ExerciseView(
        name=exercise.name,
        how=exercise.how,
        strengthens=exercise.strengthens,
        equipment_text=equipment if needs else "nothing but your feet",
        sitting=exercise.sitting,
        sitting_text="Yes, it works on the couch"
        if exercise.sitting
        else "No, this one is done standing",
        image=image,
    )


def item_views(timezone: str, entries: Sequence[DigestEntry]) -> tuple[ItemView, ...]:
    """The entries as the digest shows them, dated in the newsletter's ``timezone`` (for
    the web archive's pages)."""
    zone = ZoneInfo(timezone)
    return tuple(_item(entry, zone) for entry in entries)


def exercise_view(
    exercise: ExerciseRecord | ExerciseData,
    picture: HostedPicture | None = None,
    base: str = SITE_PLACEHOLDER,
) -> ExerciseView:
    """The exercise as the digest shows it: for the web archive's pages (no picture: the
    page draws it inline), or for an email (its ``picture``, linked on ``base``)."""
    return _exercise(exercise, _image(picture, base))
