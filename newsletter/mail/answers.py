"""The asker's email: once a question is approved and answered, who asked it (if they gave
an address and agreed on the ask form) gets one email with the link to the answer's page.

It goes through the digest's transport (SMTP, or the outbox), DKIM-signed like every
message, and the store's ledger (``store/answer_emails.py``) makes it once: each email is
claimed, committed ``sending``, before the server sees it, and only the claimer sends. A
temporary failure is tried again at the next run, up to ``MAX_ATTEMPTS`` runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from newsletter.config import Settings
from newsletter.formats import question_path
from newsletter.mail.decide import classify
from newsletter.mail.dkim import load_signer
from newsletter.mail.headers import mailbox
from newsletter.mail.message import Sender, simple_message
from newsletter.mail.transport import (
    Envelope,
    FatalFailure,
    TransientFailure,
    Transport,
    transport_factory,
)
from newsletter.store import SqlStore
from newsletter.store.answer_emails import MAX_ATTEMPTS, AnswerEmailState, AnswerToTell
from newsletter.templating import make_environment

BATCH = 100  # askers told per run at most; the rest at the next one
_S = AnswerEmailState


@dataclass
class AnswerReport:
    """What the answers step of `run` did."""

    told: int = 0
    retry: int = 0
    failed: int = 0
    problems: list[str] = field(default_factory=list)  # one sentence per email not sent

    def summary(self) -> str:
        if not (self.told or self.retry or self.failed):
            return "answers: no asker to tell"
        said = [f"{self.told} asker(s) told their question is answered"]
        if self.retry:
            said.append(f"{self.retry} to try again at the next run")
        if self.failed:
            said.append(f"{self.failed} not sent")
        problems = f" ({self.problems[-1]})" if self.problems else ""
        return "answers: " + ", ".join(said) + problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "told": self.told,
            "retry": self.retry,
            "failed": self.failed,
            "problems": list(self.problems),
        }


def tell_askers(
    settings: Settings,
    store: SqlStore,
    clock: Callable[[], datetime],
    transport: Transport | None = None,
) -> AnswerReport:
    """Email each asker owed one that their question is answered, once."""
    report = AnswerReport()
    due = store.answers_to_tell(BATCH)
    if not due:
        return report
    compose = AnswerComposer(settings)
    transport = transport or transport_factory(settings)()
    try:
        for asker in due:
            # Built before the claim: a message that cannot be built (a template, DKIM)
            # leaves nothing in doubt.
            envelope = compose(asker, clock())
            if not store.claim_answer_email(asker.question_id, clock()):
                continue  # another run has it
            state, error, stop = _attempt(transport, envelope, asker.attempts + 1)
            store.record_answer_email(asker.question_id, state, clock(), envelope.message_id, error)
            _count(report, state, error)
            if stop:
                break  # the server refuses us: every other message would fail the same way
    finally:
        transport.close()
    return report


def decide(verdict: str, attempts: int) -> AnswerEmailState:
    """The state after one try (the ``attempts``-th) that got ``verdict``
    (``newsletter.mail.decide.classify``, or "retry" for a connection that failed)."""
    if verdict == "sent":
        return _S.SENT
    if verdict in ("retry", "pause") and attempts < MAX_ATTEMPTS:
        return _S.RETRY
    return _S.FAILED


class AnswerComposer:
    """Builds (and, with DKIM configured, signs) one asker's email."""

    def __init__(self, settings: Settings) -> None:
        self.site = settings.site
        self.base_url = settings.env.base_url
        self.environment = make_environment(settings.root)
        self.sender = Sender.parse(settings.newsletter.sender)
        self.signer = load_signer(settings.newsletter.dkim, settings.env.dkim_key_file)

    def __call__(self, asker: AnswerToTell, now: datetime) -> Envelope:
        context = {
            "site": self.site,
            "name": asker.author,
            "title": asker.title,
            "answer_url": self.base_url + question_path(asker.question_id),
        }
        text = self.environment.get_template("email/answered.txt").render(context)
        html = self.environment.get_template("email/answered.html").render(context)
        subject = f"Your question is answered: {asker.title}"
        to = mailbox(asker.author, asker.email)
        data, message_id = simple_message(self.sender, to, subject, text, html, now)
        if self.signer is not None:
            data = self.signer.sign(data, now)
        # The From address as return path: a bounce of this one email concerns no subscriber.
        return Envelope(self.sender.address, asker.email, data, message_id)


def _attempt(
    transport: Transport, envelope: Envelope, attempts: int
) -> tuple[AnswerEmailState, str | None, bool]:
    """(state, error, whether to stop sending) after handing the message to the server."""
    try:
        reply = transport.send(envelope)
    except TransientFailure as exc:
        return decide("retry", attempts), str(exc), exc.before_data
    except FatalFailure as exc:
        return decide("pause", attempts), str(exc), True
    verdict = classify(reply)
    state = decide(verdict, attempts)
    return state, None if state == _S.SENT else str(reply), verdict == "pause"


def _count(report: AnswerReport, state: AnswerEmailState, error: str | None) -> None:
    if state == _S.SENT:
        report.told += 1
        return
    if state == _S.RETRY:
        report.retry += 1
    else:
        report.failed += 1
    if error:
        report.problems.append(error)
