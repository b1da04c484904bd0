"""send: deliver a digest's queued emails, resumable after a crash."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from types import FrameType
from typing import TYPE_CHECKING

import click

from newsletter.cli.app import App, interactive, pass_app, utcnow
from newsletter.errors import NewsletterError

if TYPE_CHECKING:
    from newsletter.store import SqlStore

CONFIRM_ABOVE = 10  # subscribers; a test send to yourself and a few friends needs no yes


class SendPaused(NewsletterError):
    """Sending stopped early; the report says why and nothing is lost."""


@click.command()
@click.option("--week", metavar="YYYY-Www", help="Default: the latest digest.")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Messages in flight at once: each worker keeps one SMTP and one database connection.",
)
@click.option(
    "--rate",
    type=click.FloatRange(min=0, min_open=True),
    help="At most this many messages per second (for this process, all workers together).",
)
@click.option(
    "--retry-unknown",
    is_flag=True,
    help="Also re-send messages left `unknown` by a send of an older version that died "
    "(at most 8 per worker; may duplicate those few).",
)
@click.option(
    "--late", is_flag=True, help="Send a digest older than the latest one due (out of order)."
)
@click.option(
    "--yes",
    is_flag=True,
    help=f"Do not ask at a terminal before mailing more than {CONFIRM_ABOVE} people.",
)
@pass_app
def send(
    app: App,
    week: str | None,
    workers: int,
    rate: float | None,
    retry_unknown: bool,
    late: bool,
    yes: bool,
) -> None:
    """Deliver a digest's queued emails once its send time has come; resumable after a crash.

    Without --week, the latest digest that is due: one built ahead for a future week waits
    for its send time. Each message is marked `sending` before the server sees it (8 at a
    time per worker) and `sent` after its 250, and each worker's journal records every
    hand-over and answer, so a rerun after any crash or pause sends to whoever is left,
    never twice to the rest but the few in flight at the crash (one per worker).
    """
    from newsletter.digest import parse_week, week_to_send
    from newsletter.digest.variants import variant_source
    from newsletter.mail import SendOptions, send_digest
    from newsletter.mail.transport import require_transport
    from newsletter.programmes.readers import offer_titles
    from newsletter.progress import SendProgress

    require_transport(app.settings.env.smtp_url, app.settings.env.outbox)
    with app.store() as store, _stop_on_sigterm():
        if week is not None:
            parse_week(week)
        now = utcnow()
        choice = week_to_send(week, store.digest_weeks(), now, app.settings.newsletter, late)
        if choice.waiting is not None:
            click.echo(f"nothing to send: {choice.waiting}")
            return
        if choice.week is not None and not yes and interactive():
            _confirm(store, choice.week, now)
        options = SendOptions(choice.week, workers, rate, retry_unknown)
        variants = variant_source(app.settings, store, offer_titles(app.settings.root))
        report = send_digest(app.settings, store, utcnow, options, SendProgress(), variants)
    click.echo(report.summary())
    if report.paused:
        raise SendPaused("sending paused; see the line above")
    if report.undelivered:
        raise SendPaused(
            f"nothing was delivered ({report.cause or 'no server took the messages'}); "
            "run `newsletter send` again once the server is fixed"
        )


def _confirm(store: SqlStore, week: str, now: datetime) -> None:
    """Mailing a list cannot be undone: at a terminal, a person says yes first."""
    digest = store.digest_to_send(week)
    due = 0 if digest is None else store.due_count(digest.id, now)
    if due <= CONFIRM_ABOVE:
        return
    question = f"Mail digest {week} to {due} subscribers now? This cannot be undone"
    if not click.confirm(question, default=False):
        raise SendPaused("nothing sent")


@contextmanager
def _stop_on_sigterm() -> Iterator[None]:
    """SIGTERM (systemd stopping us, kill) stops a send like Ctrl-C does: the messages in
    flight finish and are recorded, so nothing is left in doubt."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


COMMANDS: list[click.Command] = [send]
