"""programmes: the programmes readers join (programmes.yaml), and a step's email."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from newsletter.cli.app import App, pass_app
from newsletter.cli.digest import show_preview

if TYPE_CHECKING:
    from newsletter.programmes.model import Programme


@click.group()
def programmes() -> None:
    """The programmes readers join (programmes.yaml): an email a step, from the day they join."""


@programmes.command(name="list")
@pass_app
def programmes_list(app: App) -> None:
    """List the programmes: key, title, and each step's delay, exercise, sets and how often."""
    from newsletter.programmes.file import load_site_programmes, programmes_path

    found = load_site_programmes(app.settings.root)
    click.echo(f"{len(found)} programme(s) in {programmes_path(app.settings.root)}")
    for programme in found:
        _print_programme(programme)


@programmes.command(name="preview")
@click.argument("key")
@click.option("--step", "number", type=click.IntRange(min=1), default=1, show_default=True,
              help="Which step, counted from 1.")  # fmt: skip
@click.option("--text", is_flag=True, help="The plain-text part instead of the HTML.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write it here.")
@pass_app
def programmes_preview(app: App, key: str, number: int, text: bool, out: Path | None) -> None:
    """Render a step of the programme KEY as readers get it, links filled in for a
    browser; nothing is recorded or sent (HTML unless --text)."""
    from newsletter.programmes.render import preview_step

    shown = preview_step(app.settings, key, number)
    document = shown.text if text else shown.html
    show_preview(document, out, f"{key} step {number}", shown.subject)


def _print_programme(programme: Programme) -> None:
    click.echo()
    click.echo(f"{programme.key}: {programme.title} ({programme.length} steps)")
    for number, step in enumerate(programme.steps, 1):
        when = f"day {step.after_days}" if number == 1 else f"+{step.after_days} days"
        click.echo(f"  {number:>2}  {when:<8}  {step.exercise}: {step.sets}; {step.how_often}")


COMMANDS: list[click.Command] = [programmes]
