"""`newsletter run`: collect → bounces (when a mailbox is set) → digest (when due) →
publish → federate (when the site is a fediverse account) → send → programmes (the steps
due today) → answers (the askers told their question is answered) → welcome (the welcome
emails still owed), and one report.

Each step is its capability's own function; this module only orders them. A step that
fails is reported and the next steps still run (a broken publish must not stop this
week's digest from going out); the run then ends with exit status 1.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from newsletter.collect import QUIET, CollectProgress, CollectReport, Limits, collect
from newsletter.config import FeedConfig, Settings
from newsletter.digest import build_due_digest, week_to_send
from newsletter.digest.variants import variant_source
from newsletter.digest.welcome import welcome_readers
from newsletter.errors import NewsletterError
from newsletter.mail import SendOptions, SendReport, send_digest
from newsletter.mail.answers import tell_askers
from newsletter.programmes.due import ProgrammeReport, run_programmes
from newsletter.programmes.readers import offered_programmes
from newsletter.publish import publish_site
from newsletter.store import SqlStore

Clock = Callable[[], datetime]


class StepReport(Protocol):
    def summary(self) -> str: ...

    def as_dict(self) -> dict[str, Any]: ...


@dataclass
class RunReport:
    steps: dict[str, StepReport] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # step → one sentence

    @property
    def ok(self) -> bool:
        return not self.errors

    def lines(self) -> list[str]:
        lines = [report.summary() for report in self.steps.values()]
        collected = self.steps.get("collect")
        if isinstance(collected, CollectReport):
            lines[1:1] = [f"  {p.name}: {p.message}" for p in collected.problems]
        lines += [f"{step} failed: {error}" for step, error in self.errors.items()]
        return lines

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {name: step.as_dict() for name, step in self.steps.items()}
        if self.errors:
            data["errors"] = dict(self.errors)
        return data


def run_all(settings: Settings, store: SqlStore, clock: Clock) -> RunReport:
    """Every step, quietly (the command shows progress and takes the lock in between)."""
    collected = run_collect(settings.feeds, settings.collect, store, clock)
    return run_after_collect(settings, store, clock, collected)


def run_collect(
    feeds: Sequence[FeedConfig],
    limits: Limits,
    store: SqlStore,
    clock: Clock,
    progress: CollectProgress = QUIET,
) -> RunReport:
    """The first step alone: on PostgreSQL it runs outside the run lock, as collectors on
    several machines share its rounds."""
    report = RunReport()
    _step(report, "collect", lambda: collect(feeds, limits, store, clock, progress))
    return report


def run_after_collect(
    settings: Settings, store: SqlStore, clock: Clock, report: RunReport
) -> RunReport:
    """Bounces, digest, publish, send, programmes, answers and welcome: the steps only one
    run at a time may take."""
    if settings.env.bounce_imap_url:  # before the digest: suppressed addresses are not mailed
        _fetch_bounces(settings, store, clock, report)
    # Read once for the digest's footer and the welcome (the programmes step reads the
    # file itself, as its mistakes are its to report).
    offered = offered_programmes(settings.root)
    offers = tuple(p.title for p in offered)
    _step(report, "digest", lambda: build_due_digest(settings, store, clock(), offers))
    _step(report, "publish", lambda: publish_site(settings, store, clock()))
    if settings.fediverse is not None:
        _federate(settings, store, clock, report)
    _step(report, "send", lambda: send_due_digest(settings, store, clock, offers))
    # After the digest: a server that refused it (paused) is not asked again for the steps.
    if not _paused(report):
        _step(report, "programmes", lambda: run_programmes(settings, store, clock))
    # After publish: the answer's page the email links to is on the site by then.
    _step(report, "answers", lambda: tell_askers(settings, store, clock))
    # Confirming sends the welcome at once; this sends any still owed (the server was down).
    welcome = [(p.key, p.title, p.summary) for p in offered]
    _step(report, "welcome", lambda: welcome_readers(settings, store, clock, programmes=welcome))
    steps = report.steps.get("programmes")
    if isinstance(steps, ProgrammeReport) and steps.paused:
        report.errors["programmes"] = f"sending paused: {steps.paused}"
    sent = report.steps.get("send")
    if isinstance(sent, SendReport) and sent.paused:
        report.errors["send"] = f"sending paused: {sent.paused}"
    elif isinstance(sent, SendReport) and sent.undelivered:
        # A due digest no server took: cron must hear of it (exit 1), with the reason.
        report.errors["send"] = f"nothing was delivered: {sent.cause or 'no server took it'}"
    return report


def send_due_digest(
    settings: Settings, store: SqlStore, clock: Clock, offers: Sequence[str] = ()
) -> SendReport:
    """Only the digest that is due: never one built ahead for a coming week, never an
    older one once a newer is due (cron never says --late)."""
    choice = week_to_send(None, store.digest_weeks(), clock(), settings.newsletter, late=False)
    if choice.week is None:
        return SendReport(nothing=choice.waiting or "no digest has been built yet")
    options = SendOptions(week=choice.week)
    variants = variant_source(settings, store, offers)
    return send_digest(settings, store, clock, options, variants=variants)


# The next two import their step's modules when the site uses it: a cron run every few
# minutes on a site without a bounce mailbox or a fediverse account pays for neither
# flufl.bounce nor the fediverse's HTTP client (aiohttp), about a tenth of a second.


def _fetch_bounces(settings: Settings, store: SqlStore, clock: Clock, report: RunReport) -> None:
    from newsletter.mail.bounces.process import fetch_bounces

    _step(report, "bounces", lambda: fetch_bounces(settings, store, clock, lambda n: None))


def _federate(settings: Settings, store: SqlStore, clock: Clock, report: RunReport) -> None:
    from newsletter.fediverse.delivery import DeliveryReport
    from newsletter.fediverse.federate import federate
    from newsletter.store.fediverse import BEHIND

    _step(report, "federate", lambda: federate(settings, store, clock))
    federated = report.steps.get("federate")
    if isinstance(federated, DeliveryReport) and federated.behind_since(clock(), BEHIND):
        # Federation that stopped silently is the complaint we answer (WordPress #873).
        report.errors["federate"] = federated.summary()


def _paused(report: RunReport) -> bool:
    sent = report.steps.get("send")
    return isinstance(sent, SendReport) and sent.paused is not None


def _step(report: RunReport, name: str, work: Callable[[], StepReport]) -> None:
    try:
        report.steps[name] = work()
    except NewsletterError as exc:
        report.errors[name] = str(exc)
