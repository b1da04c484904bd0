"""digest and preview: the weekly digest, built once or shown without recording."""

from __future__ import annotations

from pathlib import Path

import click

from newsletter.cli.app import App, pass_app, utcnow

WEEK_HELP = "ISO week, like 2026-W48; default: the current one."


@click.command()
@click.option("--week", metavar="YYYY-Www", help=WEEK_HELP)
@click.option(
    "--late",
    is_flag=True,
    help="Build a week that is over, or older than the latest digest due (dated its send time).",
)
@pass_app
def digest(app: App, week: str | None, late: bool) -> None:
    """Build the digest of an ISO week once; rerunning shows the same recorded digest.

    A future week's digest may be built ahead: `send` and `run` mail it at its send time,
    not before.
    """
    from newsletter.digest import build_digest
    from newsletter.digest.release import due_at, shown_time
    from newsletter.programmes.readers import offer_titles

    offers = offer_titles(app.settings.root)
    with app.store() as store:
        now = utcnow()
        built = build_digest(app.settings, store, now, week, late, offers=offers)
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
    due = due_at(built.week, app.settings.newsletter)
    if now < due:
        click.echo(f"  not mailed before its send time, {shown_time(due, app.settings.newsletter)}")


@click.command()
@click.option("--week", metavar="YYYY-Www", help=WEEK_HELP)
@click.option("--text", is_flag=True, help="The plain-text version instead of HTML.")
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE, not stdout."
)
@pass_app
def preview(app: App, week: str | None, text: bool, out: Path | None) -> None:
    """Render a digest without recording or queueing anything (HTML unless --text)."""
    from newsletter.digest import preview_digest
    from newsletter.programmes.readers import offer_titles

    offers = offer_titles(app.settings.root)
    with app.store() as store:
        shown = preview_digest(app.settings, store, utcnow(), week, offers)
    note = "as built" if shown.stored else "not built yet; nothing recorded"
    document = shown.text if text else shown.html
    show_preview(document, out, f"{shown.week} ({note})", shown.subject)


def show_preview(document: str, out: Path | None, what: str, subject: str) -> None:
    """A preview on standard output (what it is on standard error), or written to ``out``."""
    if out is None:
        click.echo(document, nl=False)
        click.echo(f"preview of {what}: {subject}", err=True)
        return
    out.write_text(document, encoding="utf-8")
    click.echo(f"preview of {what} written to {out}: {subject}")


COMMANDS: list[click.Command] = [digest, preview]
