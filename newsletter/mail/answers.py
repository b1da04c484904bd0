"""The asker's email: once a question is approved and answered, who asked it (if they gave
an address and agreed on the ask form) gets one email with the link to the answer's page.

It is one of the one-off emails of ``once.py``: built here, sent once through the store's
ledger (``store/answer_emails.py``), tried again at later runs up to ``MAX_ATTEMPTS``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from newsletter.config import Settings
from newsletter.formats import question_path
from newsletter.mail.composer import Composer, text_and_html
from newsletter.mail.headers import mailbox
from newsletter.mail.message import simple_message
from newsletter.mail.once import OnceReport, decide, send_once
from newsletter.mail.transport import Envelope, Transport, transport_factory
from newsletter.store import SqlStore
from newsletter.store.answer_emails import AnswerToTell
from newsletter.store.once_emails import OnceEmail
from newsletter.templating import make_environment

__all__ = ["AnswerComposer", "AnswerReport", "decide", "tell_askers"]

BATCH = 100  # askers told per run at most; the rest at the next one


@dataclass
class AnswerReport(OnceReport):
    """What the answers step of `run` did."""

    sent_key: ClassVar[str] = "told"
    step: ClassVar[str] = "answers"
    nobody: ClassVar[str] = "no asker to tell"
    went: ClassVar[str] = "{} asker(s) told their question is answered"

    @property
    def told(self) -> int:
        return self.sent


def tell_askers(
    settings: Settings,
    store: SqlStore,
    clock: Callable[[], datetime],
    transport: Transport | None = None,
) -> AnswerReport:
    """Email each asker owed one that their question is answered, once."""
    report = AnswerReport()
    due = store.answers_to_tell(BATCH)
    if due:
        compose = AnswerComposer(settings)
        transport = transport or transport_factory(settings.env.smtp_url, settings.env.outbox)()
        send_once(OnceEmail.ANSWER, due, compose, store, clock, report, transport)
    return report


class AnswerComposer(Composer):
    """Builds (and, with DKIM configured, signs) one asker's email."""

    verp_bounces = False  # an asker need not be a subscriber: nothing for a bounce to act on

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.site = settings.site
        self.base_url = settings.env.base_url
        self.environment = make_environment(settings.root)

    def __call__(self, asker: AnswerToTell, now: datetime) -> Envelope:
        context = {
            "site": self.site,
            "name": asker.author,
            "title": asker.title,
            "answer_url": self.base_url + question_path(asker.question_id),
        }
        text, html = text_and_html(self.environment, "answered", context)
        subject = f"Your question is answered: {asker.title}"
        to = mailbox(asker.author, asker.email)
        data, message_id = simple_message(self.sender, to, subject, text, html, now)
        return self.envelope(data, message_id, asker.email, now)  # From as return path
