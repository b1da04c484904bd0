"""Moderating from the console: edit a question's title and text, answer it, and approve
or reject several at once. The checks are those of a question asked on the web
(``newsletter.questions``), so an edit can never store what the form would refuse.

An answer is kept with its question and published with it: in the feeds (after the
question's own text) and in the next digest, as the reader question of the week.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from newsletter.html_text import html_to_paragraphs, paragraphs
from newsletter.questions import (
    BODY_MAX,
    InvalidQuestion,
    NoSuchQuestion,
    QuestionInput,
    check_question,
    moderate,
)
from newsletter.questions.service import Action
from newsletter.questions.text import to_html
from newsletter.store import SqlStore
from newsletter.store.questions import QuestionRecord

ANSWER_MAX = 8000


@dataclass(frozen=True)
class Edit:
    title: str
    body: str  # plain text, as in the form
    answer: str  # plain text; "" withdraws an answer


def edit_form(store: SqlStore, question_id: int) -> tuple[QuestionRecord, Edit]:
    """The question and what its edit form starts with."""
    found = store.question(question_id)
    if found is None:
        raise NoSuchQuestion(f"there is no question {question_id}")
    answer = store.question_answers([question_id]).get(question_id, "")
    return found, Edit(
        found.title, html_to_paragraphs(found.content_html), html_to_paragraphs(answer)
    )


def save_edit(store: SqlStore, question_id: int, edit: Edit, now: datetime) -> QuestionRecord:
    """Check and store the title, text and answer; InvalidQuestion names every problem."""
    found = store.question(question_id)
    if found is None:
        raise NoSuchQuestion(f"there is no question {question_id}")
    checked = check_question(QuestionInput(title=edit.title, body=edit.body))
    answer = paragraphs(edit.answer)
    if len(answer) > ANSWER_MAX:
        raise InvalidQuestion({"answer": f"the answer is longer than {ANSWER_MAX} characters"})
    if checked.title != found.title or checked.content_html != found.content_html:
        text_hash = hashlib.sha256(f"{checked.title}\0{edit.body}".encode()).hexdigest()
        store.edit_question(question_id, checked.title, checked.content_html, text_hash, now)
    old = store.question_answers([question_id]).get(question_id)
    new = to_html(answer) if answer else None
    if new != old:
        store.answer_question(question_id, new, now)
    return store.question(question_id) or found


def bulk(store: SqlStore, ids: Sequence[int], action: Action, now: datetime) -> list[int]:
    """Apply one decision to each question; the ids that changed."""
    changed = []
    for question_id in ids:
        try:
            if moderate(store, question_id, action, now).changed:
                changed.append(question_id)
        except NoSuchQuestion:
            continue  # deleted meanwhile: nothing to do
    return changed


__all__ = ["ANSWER_MAX", "BODY_MAX", "Edit", "bulk", "edit_form", "save_edit"]
