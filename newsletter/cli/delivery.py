"""send and subscribers: the commands of subscribers and delivery."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import click

from newsletter.cli.app import App, pass_app, utcnow
from newsletter.errors import NewsletterError
from newsletter.mail import send_confirmations, send_digest
from newsletter.mail.progress import SendProgress
from newsletter.subscribers import (
    add_subscribers,
    import_subscribers,
    remove_subscriber,
)
from newsletter.subscribers.csvio import write_rows
from newsletter.subscribers.states import LISTED, STATES


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
    store = app.store()
    progress = SendProgress()
    try:
        with _stop_on_sigterm():
            report = send_digest(
                app.settings, store, utcnow, week, workers, rate, progress,
                retry_unknown=retry_unknown,
            )  # fmt: skip
    finally:
        store.close()
    click.echo(report.summary())
    if report.paused:
        raise SendPaused("sending paused; see the line above")


@click.group()
def subscribers() -> None:
    """Manage subscribers."""


@subscribers.command(name="add")
@click.argument("emails", nargs=-1, required=True)
@click.option("--confirmed", is_flag=True, help="Skip the confirmation email.")
@pass_app
def subscribers_add(app: App, emails: Sequence[str], confirmed: bool) -> None:
    """Add subscribers (without --confirmed, each gets a confirmation email)."""
    store = app.store()
    try:
        added = add_subscribers(store, emails, confirmed, utcnow())
        pending = [a.subscriber for a in added if a.send_confirmation]
        sent = {
            s.subscriber.id: s for s in send_confirmations(app.settings, store, pending, utcnow)
        }
    finally:
        store.close()
    for item in added:
        result = sent.get(item.subscriber.id)
        note = item.note if result is None or result.ok else f"pending, but {result.error}"
        click.echo(f"{item.email}: {note}")
    if any(not result.ok for result in sent.values()):
        raise NewsletterError("some confirmation emails could not be sent; add them again later")


@subscribers.command(name="import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_app
def subscribers_import(app: App, csv_file: Path) -> None:
    """Import subscribers from a CSV file with columns email[,name].

    Imported addresses count as confirmed (no email is sent), except those that
    unsubscribed or bounced before: they stay so. Bad rows are skipped and listed.
    """
    store = app.store()
    try:
        with open(csv_file, encoding="utf-8-sig", newline="") as lines:
            report = import_subscribers(store, lines, utcnow())
    except UnicodeDecodeError:
        raise NewsletterError(f"{csv_file} is not UTF-8 text; save it as CSV UTF-8") from None
    finally:
        store.close()
    for bad in report.bad:
        click.echo(f"{csv_file}:{bad.line}: skipped: {bad.problem}", err=True)
    click.echo(report.summary())


@subscribers.command(name="export")
@pass_app
def subscribers_export(app: App) -> None:
    """Export every subscriber, in every state, as CSV on stdout (import reads it back)."""
    store = app.store()
    try:
        write_rows(store.iter_subscribers(), sys.stdout)
    finally:
        store.close()


@subscribers.command(name="list")
@click.option("--all", "show_all", is_flag=True, help="Include unsubscribed and bounced.")
@pass_app
def subscribers_list(app: App, show_all: bool) -> None:
    """List subscribers and their state (active and pending; --all for every state)."""
    store = app.store()
    try:
        for record in store.iter_subscribers(None if show_all else LISTED):
            click.echo(f"{record.email:<40} {record.state:<12} {record.name or ''}".rstrip())
        counts = store.subscriber_counts()
    finally:
        store.close()
    click.echo(", ".join(f"{counts[state]} {state}" for state in STATES))


@subscribers.command(name="remove")
@click.argument("email")
@pass_app
def subscribers_remove(app: App, email: str) -> None:
    """Unsubscribe an address (it is kept, so an import never brings it back)."""
    store = app.store()
    try:
        click.echo(remove_subscriber(store, email, utcnow()))
    finally:
        store.close()


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


COMMANDS: list[click.Command] = [send, subscribers]
