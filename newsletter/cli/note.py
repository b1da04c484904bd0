"""note: the editor's note at the top of the next digest (the console's Digest page edits
the same note)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO, TypeVar

import click

from newsletter.cli.app import App, Refused, interactive, pass_app, utcnow

if TYPE_CHECKING:
    from newsletter.store import SqlStore

T = TypeVar("T")

BY = "the command line"  # who wrote it, as the console shows it
READ_LIMIT = 100_000  # characters read at most: far past a note's limit, never a whole disk


@click.group()
def note() -> None:
    """The editor's note: your words at the top of the next digest (Markdown)."""


@note.command(name="set")
@click.argument("file", type=click.File("r", encoding="utf-8"), default="-", required=False)
@pass_app
def note_set(app: App, file: TextIO) -> None:
    """Write the note for the next digest from FILE (Markdown; without FILE, or with -, from
    standard input), replacing any note waiting.

    It heads the email (its text part gets the plain text) and the digest's archive page.
    The digest built next takes it; `preview` shows it in place.
    """
    from newsletter.digest.note import save_note

    if file.name == "<stdin>" and interactive():
        click.echo("Type the note (Markdown), then Ctrl-D on a line of its own:", err=True)
    text = _read(file)
    _, week = _then_next_week(app, lambda store: save_note(store, text, BY, utcnow()))
    click.echo(f"note saved: it heads digest {week} when it is built")


@note.command(name="show")
@pass_app
def note_show(app: App) -> None:
    """Print the note waiting for the next digest (its Markdown, as written)."""
    found, week = _then_next_week(app, lambda store: store.editor_note())
    if found is None:
        click.echo(f"no note: digest {week} goes out without one", err=True)
        return
    # The Markdown alone on stdout (`note show > note.md` and `note set note.md` round-trip);
    # what it is, on stderr.
    click.echo(found.markdown)
    written = f"{found.updated_at:%Y-%m-%d %H:%M} UTC"
    click.echo(f"heads digest {week}; written by {found.updated_by}, {written}", err=True)


@note.command(name="clear")
@pass_app
def note_clear(app: App) -> None:
    """Remove the note: the next digest goes out without one."""
    removed, week = _then_next_week(app, lambda store: store.clear_editor_note())
    if removed:
        click.echo(f"note removed: digest {week} goes out without one")
    else:
        click.echo("there was no note to remove")


def _read(file: TextIO) -> str:
    try:
        return file.read(READ_LIMIT)
    except UnicodeDecodeError:
        raise Refused(f"{file.name} is not UTF-8 text") from None


def _then_next_week(app: App, act: Callable[[SqlStore], T]) -> tuple[T, str]:
    """What ``act`` did in the store, and the week of the digest built next."""
    from newsletter.admin.digest import next_week

    with app.store() as store:
        return act(store), next_week(app.settings.newsletter.timezone, store, utcnow())


COMMANDS: list[click.Command] = [note]
