"""Reader questions: asked on the web (or with `questions add`), kept pending, and shown in
the feeds and the next digest once a moderator approves them.

``text`` cleans what a stranger typed; ``service`` checks it, stores it through the store's
:class:`~newsletter.store.SqlStore`, and applies moderation decisions.
"""

from newsletter.questions.service import (
    BODY_MAX,
    NAME_MAX,
    TITLE_MAX,
    InvalidQuestion,
    Moderation,
    NoSuchQuestion,
    QuestionInput,
    ask_question,
    check_question,
    decide_moderation,
    list_questions,
    moderate,
)

__all__ = [
    "BODY_MAX",
    "NAME_MAX",
    "TITLE_MAX",
    "InvalidQuestion",
    "Moderation",
    "NoSuchQuestion",
    "QuestionInput",
    "ask_question",
    "check_question",
    "decide_moderation",
    "list_questions",
    "moderate",
]
