"""Commands whose capabilities are not built yet: each says so in one line."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import click

from newsletter.errors import NotAvailable


def _later(command: str, capability: str) -> NoReturn:
    raise NotAvailable(f"`newsletter {command}` is not available yet (it comes with {capability})")


@click.command()
@click.option("--week", metavar="YYYY-Www")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True)
@click.option("--rate", type=click.FloatRange(min=0, min_open=True), help="Messages per second.")
def send(week: str | None, workers: int, rate: float | None) -> None:
    """Deliver queued digest emails; resumable after a crash."""
    _later("send", "delivery")


@click.group()
def subscribers() -> None:
    """Manage subscribers."""


@subscribers.command(name="add")
@click.argument("emails", nargs=-1, required=True)
@click.option("--confirmed", is_flag=True, help="Skip the confirmation email.")
def subscribers_add(emails: Sequence[str], confirmed: bool) -> None:
    """Add subscribers (without --confirmed, each gets a confirmation email)."""
    _later("subscribers add", "subscribers and delivery")


@subscribers.command(name="import")
@click.argument("csv_file", type=click.Path(dir_okay=False, path_type=Path))
def subscribers_import(csv_file: Path) -> None:
    """Import subscribers from a CSV file with columns email[,name]."""
    _later("subscribers import", "subscribers and delivery")


@subscribers.command(name="export")
def subscribers_export() -> None:
    """Export subscribers as CSV."""
    _later("subscribers export", "subscribers and delivery")


@subscribers.command(name="list")
@click.option("--all", "show_all", is_flag=True, help="Include unsubscribed and bounced.")
def subscribers_list(show_all: bool) -> None:
    """List subscribers and their state."""
    _later("subscribers list", "subscribers and delivery")


@subscribers.command(name="remove")
@click.argument("email")
def subscribers_remove(email: str) -> None:
    """Unsubscribe an address (it is kept, so an import never brings it back)."""
    _later("subscribers remove", "subscribers and delivery")


@click.group()
def questions() -> None:
    """Reader questions and their moderation."""


@questions.command(name="add")
def questions_add() -> None:
    """Add a reader question (pending until approved)."""
    _later("questions add", "the web app")


@questions.command(name="list")
@click.option("--pending", is_flag=True, help="Only questions waiting for moderation.")
def questions_list(pending: bool) -> None:
    """List reader questions."""
    _later("questions list", "the web app")


@questions.command(name="approve")
@click.argument("question_id", type=int)
def questions_approve(question_id: int) -> None:
    """Approve a question: it appears in the feeds and the next digest."""
    _later("questions approve", "the web app")


@questions.command(name="reject")
@click.argument("question_id", type=int)
def questions_reject(question_id: int) -> None:
    """Reject a question."""
    _later("questions reject", "the web app")


COMMANDS: list[click.Command] = [
    send,
    subscribers,
    questions,
]
