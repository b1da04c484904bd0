"""Commands whose capabilities are not built yet: each says so in one line."""

from __future__ import annotations

from typing import NoReturn

import click

from newsletter.errors import NotAvailable


def _later(command: str, capability: str) -> NoReturn:
    raise NotAvailable(f"`newsletter {command}` is not available yet (it comes with {capability})")


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
    questions,
]
