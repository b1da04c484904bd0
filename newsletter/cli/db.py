"""db: the database's schema."""

from __future__ import annotations

from pathlib import Path

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

    before, after = upgrade_database(app.settings.env.database_url)
    if before == after:
        click.echo(f"database already at revision {after}")
    else:
        click.echo(f"database migrated from {before or 'empty'} to {after}")


@db.command()
@click.argument("target", metavar="PATH", type=click.Path(dir_okay=False, path_type=Path))
@pass_app
def backup(app: App, target: Path) -> None:
    """Copy the SQLite database to PATH while the app runs (SQLite's online backup).

    Back up db/secret.key too: it signs every confirm and unsubscribe link.
    """
    from newsletter.store.backup import backup_sqlite

    source = backup_sqlite(app.settings.env.database_url, target)
    click.echo(f"backed up {source} to {target}")
    key = app.settings.db_dir / "secret.key"
    if not app.settings.env.secret_key and key.is_file():
        click.echo(f"keep a copy of {key} with it: it signs every link already sent")


COMMANDS: list[click.Command] = [db]
