"""feeds export and import (the configured feeds as OPML), and forget (retired feeds)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from newsletter.cli.app import App, pass_app


@click.group()
def feeds() -> None:
    """The configured feeds as OPML (the format feed readers exchange subscriptions in), and
    forgetting the retired ones."""


@feeds.command(name="export")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Default: stdout.")
@pass_app
def feeds_export(app: App, out: Path | None) -> None:
    """Write the configured feeds as OPML 2.0 (local-file feeds become a comment)."""
    from newsletter.config.opml import export_opml

    data = export_opml(app.settings.site.title, app.settings.feeds)
    local = [feed.name for feed in app.settings.feeds if feed.url is None]
    if local:
        listed = len(app.settings.feeds) - len(local)
        why = "reads a local file" if len(local) == 1 else "read local files"
        click.echo(
            f"note: {len(local)} feed(s) left out of the OPML, as feed readers cannot follow "
            f"them ({', '.join(local)} {why}); {listed} listed",
            err=True,
        )
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        out.write_bytes(data)


@feeds.command(name="import")
@click.argument("opml_file", type=click.Path(dir_okay=False, path_type=Path))
@pass_app
def feeds_import(app: App, opml_file: Path) -> None:
    """Add the feeds of an OPML file to feeds.yaml, keeping its comments.

    Feeds already configured are skipped; feeds.yaml is left untouched if the result
    would not be valid.
    """
    from newsletter.config.opml import import_opml

    settings = app.settings
    result = import_opml(settings.config_path, settings.feeds, opml_file)
    click.echo(result.summary(app.settings.config_path))
    for note in result.skipped:
        click.echo(f"  skipped {note}")


@feeds.command(name="forget")
@pass_app
def feeds_forget(app: App) -> None:
    """Forget the feeds no longer in feeds.yaml (`status` lists them as retired); the
    entries they brought stay on the site and in the archive."""
    from newsletter.store.feeds import split_retired

    with app.store() as store:
        _, retired = split_retired(store.feed_states(), app.settings.feeds)
        forgotten = store.forget_feeds([state.key for state in retired])
    if not forgotten:
        click.echo("no retired feeds: every feed the database knows is in feeds.yaml")
        return
    click.echo(f"forgot {len(forgotten)} retired feed(s): {', '.join(forgotten)}")


COMMANDS: list[click.Command] = [feeds]
