"""digest, preview and exercises: the weekly digest and its exercise of the week."""

from __future__ import annotations

from pathlib import Path

import click

from newsletter.cli.app import App, pass_app, utcnow
from newsletter.digest import (
    build_digest,
    exercise_overview,
    feature_exercise,
    preview_digest,
)
from newsletter.digest.exercises import Overview

WEEK_HELP = "ISO week, like 2026-W48; default: the current one."


@click.command()
@click.option("--week", metavar="YYYY-Www", help=WEEK_HELP)
@pass_app
def digest(app: App, week: str | None) -> None:
    """Build the digest of an ISO week once; rerunning shows the same recorded digest."""
    store = app.store()
    try:
        built = build_digest(app.settings, store, utcnow(), week)
    finally:
        store.close()
    if built.digest is None:
        click.echo(f"digest {built.week}: skipped, nothing new this week (skip_empty is on)")
        return
    record = built.digest
    state = "built" if built.created else f"already built on {record.built_at:%Y-%m-%d %H:%M} UTC"
    more = f", {built.left_out} left out to fit the size cap" if built.left_out else ""
    click.echo(f"digest {built.week}: {state}, {record.item_count} item(s){more}")
    click.echo(f"  subject: {record.subject}")
    if built.exercise is not None:
        click.echo(f"  exercise: {built.exercise.name}")


@click.command()
@click.option("--week", metavar="YYYY-Www", help=WEEK_HELP)
@click.option("--text", is_flag=True, help="The plain-text version instead of HTML.")
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE, not stdout."
)
@pass_app
def preview(app: App, week: str | None, text: bool, out: Path | None) -> None:
    """Render a digest without recording or queueing anything (HTML unless --text)."""
    store = app.store()
    try:
        shown = preview_digest(app.settings, store, utcnow(), week)
    finally:
        store.close()
    document = shown.text if text else shown.html
    note = "as built" if shown.stored else "not built yet; nothing recorded"
    if out is None:
        click.echo(document, nl=False)
        click.echo(f"preview of {shown.week} ({note}): {shown.subject}", err=True)
        return
    out.write_text(document, encoding="utf-8")
    click.echo(f"preview of {shown.week} ({note}) written to {out}: {shown.subject}")


@click.group()
def exercises() -> None:
    """The exercise catalog (exercises.yaml) and the featured exercise of each week."""


@exercises.command(name="list")
@pass_app
def exercises_list(app: App) -> None:
    """List the catalog, the weeks each exercise was featured, and the coming weeks."""
    store = app.store()
    try:
        overview = exercise_overview(app.settings, store, utcnow())
    finally:
        store.close()
    _print_overview(overview)


@exercises.command(name="feature")
@click.argument("slug")
@click.option("--week", metavar="YYYY-Www", help=WEEK_HELP)
@pass_app
def exercises_feature(app: App, slug: str, week: str | None) -> None:
    """Pin the exercise SLUG to a week (not one whose digest is already built)."""
    store = app.store()
    try:
        pinned_week, exercise = feature_exercise(app.settings, store, slug, utcnow(), week)
    finally:
        store.close()
    click.echo(f"{pinned_week} will feature {exercise.name} ({exercise.slug})")


def _print_overview(overview: Overview) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="exercises", title_justify="left")
    for column in ("slug", "name", "sitting", "equipment", "featured (* pinned)"):
        table.add_column(column, overflow="fold")
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


COMMANDS: list[click.Command] = [digest, preview, exercises]
