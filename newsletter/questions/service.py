"""Asking and moderating questions: checked input in, pending rows out, and the two
moderation decisions (approve, reject) as pure functions applied through the store.

    pending ──approve──► approved ──reject──► rejected
       └─────reject─────────────────────────────┘ │
                         ▲──────approve───────────┘

An approved question is in the published feeds and in the next digest; a rejected one is
in neither. A moderator may change their mind either way.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from newsletter.errors import BadInput, NewsletterError
from newsletter.html_text import clean_line, has_visible, paragraphs
from newsletter.questions.text import to_html
from newsletter.store import SqlStore
from newsletter.store.entries import ENTRY_STATUS_TRANSITIONS, EntryStatus
from newsletter.store.questions import NewQuestion, QuestionRecord
from newsletter.subscribers import InvalidAddress, normalize_address

TITLE_MAX = 150
BODY_MAX = 4000
NAME_MAX = 80
EMAIL_MAX = 254
LIST_LIMIT = 50  # what `questions list` shows unless asked for more

Action = Literal["approve", "reject"]
_TARGET: dict[Action, EntryStatus] = {
    "approve": EntryStatus.APPROVED,
    "reject": EntryStatus.REJECTED,
}


@dataclass(frozen=True)
class QuestionInput:
    """What a reader typed, as typed."""

    title: str
    body: str
    name: str = ""
    email: str = ""
    notify: bool = False  # "email me once when it is answered" (needs the email)


class InvalidQuestion(BadInput):
    """A question that cannot be kept as typed; ``problems`` says why, per field."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("the question was not added: " + "; ".join(problems.values()))
        self.problems = problems


class NoSuchQuestion(BadInput):
    """No question has that id."""


# What a moderation decision means for readers, said after it.
CONSEQUENCES = {
    EntryStatus.APPROVED: "it is in the feeds after the next publish, and in the next digest",
    EntryStatus.REJECTED: "it is in no feed and no digest",
}


@dataclass(frozen=True)
class Moderation:
    question: QuestionRecord
    changed: bool  # False: it was already in that status

    def summary(self) -> str:
        status, number = self.question.status, self.question.id
        if not self.changed:
            return f"question {number} was already {status}"
        return f"question {number} {status}: {CONSEQUENCES[status]}"


def check_question(given: QuestionInput) -> NewQuestion:
    """The question to store, or InvalidQuestion naming every problem at once."""
    title, body, name = clean_line(given.title), paragraphs(given.body), clean_line(given.name)
    problems: dict[str, str] = {}
    _check_text(problems, "title", title, TITLE_MAX, "title")
    _check_text(problems, "body", body, BODY_MAX, "question")
    if len(name) > NAME_MAX:
        problems["name"] = f"the name is longer than {NAME_MAX} characters"
    email = _checked_email(given.email.strip(), problems)
    if given.notify and not given.email.strip():
        problems["email"] = "give your email address to hear when it is answered"
    if problems:
        raise InvalidQuestion(problems)
    return NewQuestion(
        key=f"question:{secrets.token_hex(16)}",
        title=title,
        content_html=to_html(body),
        content_hash=hashlib.sha256(f"{title}\0{body}".encode()).hexdigest(),
        author=name or None,
        author_email=email,
        asker_wants_answer=given.notify and email is not None,
    )


def ask_question(
    store: SqlStore, given: QuestionInput, now: datetime, approved: bool = False
) -> QuestionRecord:
    """Keep a question: pending until a moderator approves it (unless ``approved``)."""
    return store.add_question(check_question(given), _initial(approved), now)


def _initial(approved: bool) -> EntryStatus:
    return EntryStatus.APPROVED if approved else EntryStatus.PENDING


def decide_moderation(current: EntryStatus, action: Action) -> EntryStatus | None:
    """The status to write, or None when the question is there already."""
    target = _TARGET[action]
    return target if target in ENTRY_STATUS_TRANSITIONS[current] else None


def moderate(store: SqlStore, question_id: int, action: Action, now: datetime) -> Moderation:
    """Approve or reject a question (``questions approve`` / ``reject``)."""
    for _ in range(2):  # a second look if another moderator acted meanwhile
        found = store.question(question_id)
        if found is None:
            raise NoSuchQuestion(f"there is no question {question_id}; see `questions list`")
        target = decide_moderation(found.status, action)
        if target is None:
            return Moderation(found, changed=False)
        changed = store.set_question_status(question_id, target, now, expected=[found.status])
        if changed is not None:
            return Moderation(changed, changed=True)
    raise NewsletterError(f"question {question_id} changed while being moderated; try again")


def list_questions(
    store: SqlStore, pending_only: bool, limit: int = LIST_LIMIT
) -> Sequence[QuestionRecord]:
    return store.questions([EntryStatus.PENDING] if pending_only else None, limit)


def _check_text(problems: dict[str, str], field: str, text: str, limit: int, noun: str) -> None:
    if not has_visible(text):  # 1,000 zero-width spaces are not a question
        problems[field] = f"write a {noun}"
    elif len(text) > limit:
        problems[field] = f"the {noun} has {len(text)} characters; at most {limit} fit"


def _checked_email(raw: str, problems: dict[str, str]) -> str | None:
    if not raw:
        return None
    if len(raw) > EMAIL_MAX:
        problems["email"] = f"the email address is longer than {EMAIL_MAX} characters"
        return None
    try:
        return normalize_address(raw).email
    except InvalidAddress as exc:
        problems["email"] = str(exc)
        return None
