"""db: the database's schema."""

from __future__ import annotations

import click

from newsletter.cli.app import App, pass_app


@click.group()
def db() -> None:
    """The database."""


@db.command()
@pass_app
def upgrade(app: App) -> None:
    """Apply pending migrations (done automatically for the embedded SQLite default)."""
    from newsletter.store import upgrade_database

    before, after = upgrade_database(app.settings)
    if before == after:
        click.echo(f"database already at revision {after}")
    else:
        click.echo(f"database migrated from {before or 'empty'} to {after}")


COMMANDS: list[click.Command] = [db]
