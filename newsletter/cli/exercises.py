"""exercises: the exercise catalog and the featured exercise of each week."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from newsletter.cli.app import App, pass_app, utcnow
from newsletter.cli.digest import WEEK_HELP

if TYPE_CHECKING:
    from newsletter.digest.exercises import Overview


@click.group()
def exercises() -> None:
    """The exercise catalog (exercises.yaml) and the featured exercise of each week."""


@exercises.command(name="list")
@pass_app
def exercises_list(app: App) -> None:
    """List the catalog, the weeks each exercise was featured, and the coming weeks."""
    from newsletter.digest import exercise_overview

    with app.store() as store:
        overview = exercise_overview(
            app.settings.root, app.settings.newsletter.timezone, store, utcnow()
        )
    _print_overview(overview)


@exercises.command(name="feature")
@click.argument("slug")
@click.option("--week", metavar="YYYY-Www", help=WEEK_HELP)
@pass_app
def exercises_feature(app: App, slug: str, week: str | None) -> None:
    """Pin the exercise SLUG to a week (not one whose digest is already built)."""
    from newsletter.digest import feature_exercise

    with app.store() as store:
        pinned_week, exercise = feature_exercise(
            app.settings.root, app.settings.newsletter.timezone, store, slug, utcnow(), week
        )
    click.echo(f"{pinned_week} will feature {exercise.name} ({exercise.slug})")


def _print_overview(overview: Overview) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="exercises", title_justify="left")
    for column in ("slug", "name", "sitting", "equipment", "featured (* pinned)"):
        # A slug is what `exercises feature` needs: never broken, whatever the width.
        table.add_column(column, overflow="fold", no_wrap=column in ("slug", "sitting"))
    for line in overview.lines:
        weeks = [w + ("*" if w in line.pinned else "") for w in line.weeks]
        name = line.exercise.name if line.exercise.active else f"{line.exercise.name} (removed)"
        table.add_row(
            line.exercise.slug,
            name,
            "yes" if line.exercise.sitting else "no",
            line.exercise.equipment,
            ", ".join(weeks) or "not yet",
        )
    console = Console()
    console.print(table)
    for upcoming in overview.upcoming:
        console.print(f"{upcoming.week}: {upcoming.exercise.name} ({upcoming.state})")


COMMANDS: list[click.Command] = [exercises]
