"""One email to one person, once: what the asker's email (``answers.py``) and the reader's
welcome (``welcome.py``) share.

Each goes through the digest's transport (SMTP, or the outbox), DKIM-signed like every
message, and its ledger in the store (``store/once_emails.py``) makes it once: each email
is claimed, committed ``sending``, before the server sees it, and only the claimer sends.
A temporary failure is tried again at the next run, up to ``MAX_ATTEMPTS`` tries.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol, TypeVar

from newsletter.mail.decide import classify
from newsletter.mail.transport import (
    Envelope,
    FatalFailure,
    TransientFailure,
    Transport,
)
from newsletter.store import SqlStore
from newsletter.store.once_emails import MAX_ATTEMPTS, OnceEmail, OnceEmailState

_S = OnceEmailState


class Owed(Protocol):
    """An email its ledger says is owed."""

    @property
    def key(self) -> int: ...  # its ledger row's

    @property
    def attempts(self) -> int: ...  # tries so far


OwedT = TypeVar("OwedT", bound=Owed)


@dataclass
class OnceReport:
    """How many of a run's one-off emails went, wait for a retry, or were given up."""

    sent: int = 0
    retry: int = 0
    failed: int = 0
    problems: list[str] = field(default_factory=list)  # one sentence per email not sent
    sent_key: ClassVar[str] = "sent"  # what `run --json` calls those sent
    # How `run` says it: "<step>: <nobody>", or "<step>: " + went with the count sent.
    step: ClassVar[str]
    nobody: ClassVar[str]
    went: ClassVar[str]

    def count(self, state: OnceEmailState, error: str | None) -> None:
        if state == _S.SENT:
            self.sent += 1
            return
        if state == _S.RETRY:
            self.retry += 1
        else:
            self.failed += 1
        if error:
            self.problems.append(error)

    def as_dict(self) -> dict[str, Any]:
        return {
            self.sent_key: self.sent,
            "retry": self.retry,
            "failed": self.failed,
            "problems": list(self.problems),
        }

    def summary(self) -> str:
        """The count of those sent, in words, then the others, and the last problem."""
        if not (self.sent or self.retry or self.failed):
            return f"{self.step}: {self.nobody}"
        said = [self.went.format(self.sent)]
        if self.retry:
            said.append(f"{self.retry} to try again at the next run")
        if self.failed:
            said.append(f"{self.failed} not sent")
        problems = f" ({self.problems[-1]})" if self.problems else ""
        return f"{self.step}: " + ", ".join(said) + problems


def send_once(
    email: OnceEmail,
    due: Sequence[OwedT],
    compose: Callable[[OwedT, datetime], Envelope],
    store: SqlStore,
    clock: Callable[[], datetime],
    report: OnceReport,
    transport: Transport,
) -> None:
    """Send each ``email`` of ``due`` that this call claims through ``transport`` (closed
    once done), and count what became of it."""
    try:
        for owed in due:
            # Built before the claim: a message that cannot be built (a template, DKIM)
            # leaves nothing in doubt.
            envelope = compose(owed, clock())
            if not store.claim_once_email(email, owed.key, clock()):
                continue  # another run has it
            state, error, stop = attempt(transport, envelope, owed.attempts + 1)
            store.record_once_email(email, owed.key, state, clock(), envelope.message_id, error)
            report.count(state, error)
            if stop:
                break  # the server refuses us: every other message would fail the same way
    finally:
        transport.close()


def decide(verdict: str, attempts: int) -> OnceEmailState:
    """The state after one try (the ``attempts``-th) that got ``verdict``
    (``newsletter.mail.decide.classify``, or "retry" for a connection that failed)."""
    if verdict == "sent":
        return _S.SENT
    if verdict in ("retry", "pause") and attempts < MAX_ATTEMPTS:
        return _S.RETRY
    return _S.FAILED


def attempt(
    transport: Transport, envelope: Envelope, attempts: int
) -> tuple[OnceEmailState, str | None, bool]:
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
