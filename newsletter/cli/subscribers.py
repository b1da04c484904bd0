"""subscribers: add, import, export, list and remove subscribers."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import click

from newsletter.cli.app import App, pass_app, utcnow
from newsletter.errors import BadInput, NewsletterError


@click.group()
def subscribers() -> None:
    """Manage subscribers."""


@subscribers.command(name="add")
@click.argument("emails", nargs=-1, required=True)
@click.option("--confirmed", is_flag=True, help="Skip the confirmation email.")
@pass_app
def subscribers_add(app: App, emails: Sequence[str], confirmed: bool) -> None:
    """Add subscribers (without --confirmed, each gets a confirmation email)."""
    from newsletter.mail import send_confirmations
    from newsletter.subscribers import add_subscribers

    with app.store() as store:
        added = add_subscribers(store, emails, confirmed, utcnow())
        pending = [a.subscriber for a in added if a.send_confirmation]
        sent = {
            s.subscriber.id: s for s in send_confirmations(app.settings, store, pending, utcnow)
        }
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
    from newsletter.subscribers import import_subscribers

    with app.store() as store:
        try:
            with open(csv_file, encoding="utf-8-sig", newline="") as lines:
                report = import_subscribers(store, lines, utcnow())
        except UnicodeDecodeError:
            raise BadInput(f"{csv_file} is not UTF-8 text; save it as CSV UTF-8") from None
    for bad in report.bad:
        click.echo(f"{csv_file}:{bad.line}: skipped: {bad.problem}", err=True)
    click.echo(report.summary())


@subscribers.command(name="export")
@pass_app
def subscribers_export(app: App) -> None:
    """Export every subscriber, in every state, as CSV on stdout (import reads it back)."""
    from newsletter.subscribers.csvio import write_rows

    with app.store() as store:
        write_rows(store.iter_subscribers(), sys.stdout)


@subscribers.command(name="list")
@click.option("--all", "show_all", is_flag=True, help="Include unsubscribed and bounced.")
@pass_app
def subscribers_list(app: App, show_all: bool) -> None:
    """List subscribers and their state (active and pending; --all for every state)."""
    from newsletter.subscribers.states import LISTED, STATES

    with app.store() as store:
        for record in store.iter_subscribers(None if show_all else LISTED):
            click.echo(f"{record.email:<40} {record.state:<12} {record.name or ''}".rstrip())
        counts = store.subscriber_counts()
    click.echo(", ".join(f"{counts[state]} {state}" for state in STATES))


@subscribers.command(name="remove")
@click.argument("email")
@pass_app
def subscribers_remove(app: App, email: str) -> None:
    """Unsubscribe an address (it is kept, so an import never brings it back)."""
    from newsletter.subscribers import remove_subscriber

    with app.store() as store:
        click.echo(remove_subscriber(store, email, utcnow()))


COMMANDS: list[click.Command] = [subscribers]
