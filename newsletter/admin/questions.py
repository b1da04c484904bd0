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
from newsletter.questions.service import CONSEQUENCES, Action, Moderation
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


def edit_changes(old: Edit, new: Edit) -> list[str]:
    """What a save changed, in words (the activity log's, and the notice's)."""
    changes = []
    if (old.title, old.body) != (new.title.strip(), new.body.strip()):
        changes.append("edited question")
    if old.answer != new.answer.strip():
        changes.append("answered question" if new.answer.strip() else "withdrew answer")
    return changes


_SAVED = {
    "edited question": "title or text edited",
    "answered question": "answer saved",
    "withdrew answer": "answer withdrawn",
}


def save_notice(question_id: int, changes: Sequence[str], moderation: Moderation | None) -> str:
    """What "Save", "Save and approve" and "Save and reject" did, in one sentence: what the
    edit changed, and the decision with what it means for readers."""
    edited = ", ".join(_SAVED[change] for change in changes) or "nothing changed"
    said = f"question {question_id} saved ({edited})"
    if moderation is None:
        return said
    status = moderation.question.status
    if not moderation.changed:
        return f"{said}; it was already {status}"
    return f"{said} and {status}: {CONSEQUENCES[status]}"


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


__all__ = [
    "ANSWER_MAX",
    "BODY_MAX",
    "Edit",
    "bulk",
    "edit_changes",
    "edit_form",
    "save_edit",
    "save_notice",
]
