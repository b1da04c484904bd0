"""send: deliver a digest's queued emails, resumable after a crash."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import click

from newsletter.cli.app import App, pass_app, utcnow
from newsletter.errors import NewsletterError


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
    help="Also re-send messages left in doubt by a send that died (may duplicate those few).",
)
@pass_app
def send(app: App, week: str | None, workers: int, rate: float | None, retry_unknown: bool) -> None:
    """Deliver queued digest emails; resumable after a crash.

    Each message is marked `sending` before the server sees it and `sent` after its 250,
    so a rerun after any crash or pause sends to whoever is left, never twice to the rest.
    """
    from newsletter.mail import SendOptions, send_digest
    from newsletter.progress import SendProgress

    options = SendOptions(week, workers, rate, retry_unknown)
    with app.store() as store, _stop_on_sigterm():
        report = send_digest(app.settings, store, utcnow, options, SendProgress())
    click.echo(report.summary())
    if report.paused:
        raise SendPaused("sending paused; see the line above")
    if report.undelivered:
        raise SendPaused(
            "nothing was delivered; see the line above, then run `newsletter send` again"
        )


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
