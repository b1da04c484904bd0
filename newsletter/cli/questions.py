"""questions: reader questions and their moderation."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

import click

from newsletter.cli.app import App, Refused, interactive, pass_app, utcnow

if TYPE_CHECKING:
    from newsletter.questions.service import Action
    from newsletter.store.questions import QuestionRecord

EXCERPT = 400  # characters of a question's body shown by `questions list`


@click.group()
def questions() -> None:
    """Reader questions and their moderation."""


@questions.command(name="add")
@click.option("--title", help="The question's title (asked for at a terminal when missing).")
@click.option("--body", help="The question itself (asked for at a terminal when missing).")
@click.option("--name", default=None, help="Who asked, as the feeds may show it.")
@click.option("--email", default=None, help="Their address (kept private, never published).")
@click.option("--approved", is_flag=True, help="Approve it at once (e.g. one you got by email).")
@pass_app
def questions_add(
    app: App,
    title: str | None,
    body: str | None,
    name: str | None,
    email: str | None,
    approved: bool,
) -> None:
    """Add a reader question (pending until approved, unless --approved)."""
    from newsletter.questions import QuestionInput, ask_question

    given = QuestionInput(
        title=_required(title, "--title", "Title"),
        body=_required(body, "--body", "Question"),
        name=_optional(name, "Name"),
        email=_optional(email, "Email"),
    )
    with app.store() as store:
        record = ask_question(store, given, utcnow(), approved=approved)
    click.echo(f"question {record.id} added, {record.status}: {record.title}")


def _required(value: str | None, option: str, label: str) -> str:
    """A value given, else asked for at a terminal; without one, a usage error."""
    if value is not None:
        return value
    if not interactive():
        raise Refused(f"questions add needs {option} when not run from a terminal")
    text: str = click.prompt(label)
    return text


def _optional(value: str | None, label: str) -> str:
    if value is not None:
        return value
    if not interactive():
        return ""
    text: str = click.prompt(label, default="", show_default=False)
    return text


@questions.command(name="list")
@click.option("--pending", is_flag=True, help="Only questions waiting for moderation.")
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True)
@pass_app
def questions_list(app: App, pending: bool, limit: int) -> None:
    """List reader questions, newest first, with the start of each one's text."""
    from newsletter.questions import list_questions

    with app.store() as store:
        found = list_questions(store, pending, limit)
        counts = store.question_counts()
    for record in found:
        click.echo("\n".join(describe(record)))
    click.echo(", ".join(f"{n} {status}" for status, n in counts.items()))


@questions.command(name="approve")
@click.argument("question_id", type=int)
@pass_app
def questions_approve(app: App, question_id: int) -> None:
    """Approve a question: it appears in the feeds and the next digest."""
    _moderate(app, question_id, "approve")


@questions.command(name="reject")
@click.argument("question_id", type=int)
@pass_app
def questions_reject(app: App, question_id: int) -> None:
    """Reject a question: it is in no feed and no digest (approve it later to undo)."""
    _moderate(app, question_id, "reject")


def _moderate(app: App, question_id: int, action: Action) -> None:
    from newsletter.questions import moderate

    with app.store() as store:
        click.echo(moderate(store, question_id, action, utcnow()).summary())


def describe(record: QuestionRecord) -> list[str]:
    """A question as lines for a terminal. Every part was typed by a stranger (or a feed),
    so each is cleaned of control characters again here, whatever the database holds."""
    from newsletter.html_text import clean_line, html_to_paragraphs
    from newsletter.store.entries import EntryStatus

    when = record.first_seen_at if record.status == EntryStatus.PENDING else record.published_at
    who = clean_line(record.author or "anonymous")
    if record.author_email:
        who += f" <{clean_line(record.author_email)}>"
    if record.feed_name:
        who += f", from the feed {clean_line(record.feed_name)}"
    body = html_to_paragraphs(record.content_html)
    excerpt = body[:EXCERPT] + ("…" if len(body) > EXCERPT else "")
    lines = [
        f"{record.id:>5}  {record.status:<8}  {when:%Y-%m-%d %H:%M}  {clean_line(record.title)}"
    ]
    lines.append(f"{'':>5}  {who}")
    lines += textwrap.wrap(excerpt, width=88, initial_indent=" " * 7, subsequent_indent=" " * 7)
    return lines


COMMANDS: list[click.Command] = [questions]
