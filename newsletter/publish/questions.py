"""A page of its own for each answered question: questions/N (the app's route) and
questions/N.html (the file publish writes), with the question and the owner's answer.

Only an approved question with an answer has one: the feeds link to it, and the asker's
email does too. The asker's address is never on it (``PublishedEntry`` does not carry it).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from markupsafe import Markup

from newsletter.config import Settings
from newsletter.digest.compose import long_date
from newsletter.formats import QUESTIONS, question_path
from newsletter.html_text import excerpt, plain_text
from newsletter.publish.pages import render_page
from newsletter.publish.safe import safe_html, safe_url
from newsletter.store.entries import PublishedEntry

FOLDER = QUESTIONS
DESCRIPTION_CHARS = 155  # what search results show of a meta description


@dataclass(frozen=True)
class QuestionPage:
    """What templates/archive/question.html shows."""

    id: int
    title: str
    asked_by: str  # "Asked by Ann", or "A reader asks"
    date: str  # 2026-11-23, for <time datetime>
    shown_date: str  # Monday 23 November 2026
    question: Markup  # the question's text, kept to the allowlist
    answer: Markup  # the owner's answer, likewise
    source: str | None  # a feed's question: where it was asked
    description: str


def file_name(question_id: int) -> str:
    return question_path(question_id) + ".html"


def question_page(settings: Settings, entry: PublishedEntry) -> bytes:
    """The page of an answered question, in the site's layout (links relative to it)."""
    return render_page(
        settings,
        "archive/question.html",
        "../",
        section=None,
        question=question_view(settings.newsletter.timezone, entry),
    )


def question_view(timezone: str, entry: PublishedEntry) -> QuestionPage:
    title = plain_text(entry.title) or "A reader's question"
    author = plain_text(entry.author)
    day = entry.published_at.astimezone(ZoneInfo(timezone)).date()
    answer = safe_html(entry.answer_html or "")
    return QuestionPage(
        id=entry.id,
        title=title,
        asked_by=f"Asked by {author}" if author else "A reader asks",
        date=day.isoformat(),
        shown_date=long_date(day),
        # Safe as markup: safe_html keeps only what the one allowlist (html_policy) allows,
        # as every published feed does.
        question=Markup(safe_html(entry.content_html or entry.summary_html)),  # nosec B704
        answer=Markup(answer),  # nosec B704
        source=safe_url(entry.link),
        description=excerpt(f"{html.escape(title)}: {answer}", DESCRIPTION_CHARS),
    )
