"""`run`'s programmes step: queue the steps due today, then send every programme mailing
with messages waiting, through the digest's sender (its ledger, journal, lock, rate and
guarantees).

Joining is here too (``join``): the first step's day is worked out once, where the reader
joins, by the same schedule the run follows.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from newsletter.config import Newsletter, Settings
from newsletter.config.settings import SendOn
from newsletter.mail import SendReport
from newsletter.mail.sender import send_mailing
from newsletter.programmes.file import load_site_programmes
from newsletter.programmes.model import Programme
from newsletter.programmes.render import StepRenderer
from newsletter.programmes.schedule import day_start, due_after, joining_day, programme_day
from newsletter.store import SqlStore
from newsletter.store.preferences import Rendering
from newsletter.store.programmes import (
    TEXT_ONLY,
    EnrolmentRecord,
    MailingToSend,
    SentToday,
    StepEmail,
)

Clock = Callable[[], datetime]
Render = Callable[[Programme, int], StepEmail]  # step n of a programme, rendered once
# Mailings this many days old still get their retries sent; older ones are left as they are.
RETRY_DAYS = 7


@dataclass
class ProgrammeReport:
    """What the programmes step did."""

    day: str | None = None  # the day steps were queued for; None: not a programme day now
    queued: dict[str, int] = field(default_factory=dict)  # "<programme> step N" → readers
    sent: int = 0
    retry: int = 0
    failed: int = 0
    skipped: int = 0
    resent_after_crash: int = 0
    paused: str | None = None  # sending stopped early, and why
    busy: str | None = None  # another send held the lock: the next run sends them
    cause: str | None = None

    def add(self, sent: SendReport) -> None:
        self.sent += sent.sent
        self.retry += sent.retry
        self.failed += sent.failed
        self.skipped += sent.skipped
        self.resent_after_crash += sent.resent_after_crash
        self.paused = self.paused or sent.paused
        self.busy = self.busy or sent.busy
        self.cause = sent.cause or self.cause

    def summary(self) -> str:
        queued = sum(self.queued.values())
        if not (queued or self.sent or any(n for _, n in self._others()) or self.paused):
            return "programmes: no step due " + ("today" if self.day else "now")
        said = [f"{queued} step email(s) queued", f"{self.sent} sent"]
        said += [f"{n} {what}" for what, n in self._others() if n]
        if self.paused:
            said.append(f"paused: {self.paused}")
        elif self.busy:
            said.append(self.busy)
        return "programmes: " + ", ".join(said)

    def _others(self) -> list[tuple[str, int]]:
        return [
            ("to retry", self.retry),
            ("failed", self.failed),
            ("skipped (left)", self.skipped),
            ("re-sent after a crash", self.resent_after_crash),
        ]

    def as_dict(self) -> dict[str, Any]:
        return {
            "day": self.day,
            "queued": dict(self.queued),
            "sent": self.sent,
            "retry": self.retry,
            "failed": self.failed,
            "skipped": self.skipped,
            "resent_after_crash": self.resent_after_crash,
            "paused": self.paused,
        }


def run_programmes(settings: Settings, store: SqlStore, clock: Clock) -> ProgrammeReport:
    """`run`'s step: the site's programmes (programmes.yaml), each step rendered only when
    some reader is due it."""
    programmes = load_site_programmes(settings.root)
    renderers: list[StepRenderer] = []

    def render(programme: Programme, number: int) -> StepEmail:
        if not renderers:  # the catalog, pictures and templates are read once, when needed
            renderers.append(StepRenderer(settings))
        return renderers[0].render(programme, number)

    return send_due_steps(settings, store, clock, programmes, render)


def send_due_steps(
    settings: Settings,
    store: SqlStore,
    clock: Clock,
    programmes: Sequence[Programme],
    render: Render,
) -> ProgrammeReport:
    """Queue today's due steps (at the send hour, never on the digest's day), then send
    what waits, the oldest mailing first."""
    now, newsletter = clock(), settings.newsletter
    report = ProgrammeReport()
    day = programme_day(now, newsletter.send_on, newsletter.timezone)
    if day is not None:
        report.day = day.isoformat()
        today = _today(store, day, newsletter.timezone)
        for programme in programmes:
            _queue(store, programme, today, now, render, report, newsletter.send_on)
    since = joining_day(now, newsletter.timezone) - timedelta(days=RETRY_DAYS)
    for mailing in store.mailings_to_send(since.isoformat()):
        report.add(send_mailing(settings, store, clock, mailing, variants=_as_chosen))
        if report.paused or report.busy:
            break  # the server refuses us, or another send has the lock: the next run
    return report


def _as_chosen(mailing: MailingToSend, variant: str) -> Rendering:
    """A step as a reader's row asks for it: plain text only (TEXT_ONLY), or as rendered."""
    html = "" if variant == TEXT_ONLY else mailing.html
    return Rendering(mailing.subject, html, mailing.text, 0)


@dataclass(frozen=True)
class _Today:
    """The site's date and the digests sent on it. A step's readers are first counted
    with ``none`` held back (is anyone due at all?); ``sent``, the digests that did go
    today, is asked of the store only then, once a run."""

    day: date
    none: SentToday
    sent: Callable[[], SentToday]

    def due(self, store: SqlStore, programme: str, number: int, now: datetime) -> SentToday | None:
        """What the step is queued with (the digests sent today), or None when no reader
        is due it."""
        day = self.day.isoformat()
        if not store.readers_due(programme, number, day, now, self.none):
            return None
        sent = self.sent()
        if sent.digest_ids and not store.readers_due(programme, number, day, now, sent):
            return None  # those due were all reached by today's digest
        return sent


def _today(store: SqlStore, day: date, timezone: str) -> _Today:
    began = day_start(day, timezone)
    # Which digests went today is asked once some step has readers due: most of a day's
    # runs find none (their readers were queued at an earlier run).
    sent = functools.cache(functools.partial(store.digests_sent_since, began))
    return _Today(day, SentToday(began), sent)


def _queue(
    store: SqlStore,
    programme: Programme,
    today: _Today,
    now: datetime,
    render: Render,
    report: ProgrammeReport,
    send_on: SendOn,
) -> None:
    """Each step in order: a reader queued one step today is past the others' checks
    (``send_on``: the digest's day and hour, which the next step's day moves off)."""
    day = today.day
    store.finish_past_the_end(programme.key, programme.length, now)
    for number in range(1, programme.length + 1):
        sent = today.due(store, programme.key, number, now)
        if sent is None:
            continue
        following = number + 1
        next_due = (
            None
            if following > programme.length
            else due_after(day, programme.step(following).after_days, send_on)
        )
        email = render(programme, number)
        queued = store.queue_step(
            programme.key,
            number,
            day.isoformat(),
            next_due.isoformat() if next_due else None,
            email,
            now,
            sent,
        )
        if queued:
            report.queued[f"{programme.key} step {number}"] = queued


def join(
    newsletter: Newsletter,
    store: SqlStore,
    subscriber_id: int,
    programme: Programme,
    now: datetime,
    restart: bool = False,
) -> EnrolmentRecord:
    """Enrol a reader: the first step may go from the day they join (at the send hour,
    moved off the digest's day)."""
    first = due_after(
        joining_day(now, newsletter.timezone), programme.step(1).after_days, newsletter.send_on
    )
    return store.enrol(subscriber_id, programme.key, first.isoformat(), now, restart)
