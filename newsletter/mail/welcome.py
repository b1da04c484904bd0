"""The reader's welcome email (issue 22): one message the moment their subscription is
confirmed, sent once.

It is one of the one-off emails of ``once.py``, over the ledger ``store/welcome_emails.py``:
the confirming request sends it at once (after its answer), and `run`'s welcome step sends
any still owed (the server was down, the process stopped), each tried up to
``MAX_ATTEMPTS`` times. Its words come from the caller (``newsletter.digest.welcome``:
when the digest comes, this week's exercise); this module makes them a reader's message
as the digest is one: List-Id, List-Unsubscribe (the URL with its one-click POST, and the
mailto: when there is room), the reader's own unsubscribe and preferences links in the
body (``%%UNSUBSCRIBE_URL%%`` and ``%%PREFERENCES_URL%%``), DKIM, and a VERP return path of
its own kind, so a bounce of it acts on the reader as a digest's would.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from newsletter.config import Settings
from newsletter.mail.composer import Composer
from newsletter.mail.headers import mailbox
from newsletter.mail.message import DigestMessage
from newsletter.mail.once import OnceReport, send_once
from newsletter.mail.size import unsubscribe_mailbox
from newsletter.mail.transport import Envelope, Transport, transport_factory
from newsletter.store import SqlStore
from newsletter.store.once_emails import OnceEmail
from newsletter.store.welcome_emails import WelcomeToSend
from newsletter.subscribers.tokens import Links, load_tokens

BATCH = 500  # readers welcomed per run at most; the rest at the next one


@dataclass(frozen=True)
class WelcomeWords:
    """What one reader's welcome says; the links to their own pages as the placeholders."""

    subject: str
    text: str
    html: str  # "": plain text only (the reader chose it)


Write = Callable[[WelcomeToSend, datetime], WelcomeWords]


@dataclass
class WelcomeReport(OnceReport):
    """What the welcome step of `run` (or a confirmation) did."""

    step: ClassVar[str] = "welcome"
    nobody: ClassVar[str] = "no new reader to welcome"
    went: ClassVar[str] = "{} new reader(s) welcomed"


def send_welcomes(
    settings: Settings,
    store: SqlStore,
    clock: Callable[[], datetime],
    write: Write,
    only: int | None = None,
    transport: Transport | None = None,
) -> WelcomeReport:
    """Welcome each reader owed it, once; with ``only``, that reader alone, if their
    welcome was never tried (what a confirmation sends at once)."""
    report = WelcomeReport()
    due = store.welcomes_due(BATCH, only)
    if due:
        compose = WelcomeComposer(settings, write)
        transport = transport or transport_factory(settings.env.smtp_url, settings.env.outbox)()
        send_once(OnceEmail.WELCOME, due, compose, store, clock, report, transport)
    return report


class WelcomeComposer(Composer):
    """Builds (and, with DKIM configured, signs) one reader's welcome."""

    def __init__(self, settings: Settings, write: Write) -> None:
        super().__init__(settings)
        self.write = write
        self.title = settings.site.title
        self.links = Links(
            settings.env.base_url,
            load_tokens(settings.env.secret_key, settings.db_dir),
            unsubscribe_mailbox(settings.newsletter),
        )

    def __call__(self, reader: WelcomeToSend, now: datetime) -> Envelope:
        words = self.write(reader, now)
        message = DigestMessage(self.sender, self.title, words.subject, words.text, words.html, now)
        sid, key = reader.subscriber_id, reader.email_key
        url, mailto = self.links.unsubscribe_ways(sid, key)
        message_id = f"<welcome.{secrets.token_hex(16)}@{self.sender.domain}>"
        to = mailbox(reader.name, reader.email)
        data = message.render(to, message_id, url, mailto, self.links.preferences(sid, key))
        return self.envelope(data, message_id, reader.email, now, ("welcome", sid))
