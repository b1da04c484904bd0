"""publish, feeds export/import and serve: the commands of publishing."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from newsletter.cli.app import App, pass_app, utcnow
from newsletter.publish import publish_site
from newsletter.publish.opml import export_opml, import_opml


@click.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write to. Default: public/ next to feeds.yaml.",
)
@pass_app
def publish(app: App, out: Path | None) -> None:
    """Write feed.xml (RSS 2.0), atom.xml, feed.json (JSON Feed 1.1) and archive/.

    Files whose content did not change are left alone; when site.websub_hub is set, the
    hub is told which feeds changed.
    """
    store = app.store()
    try:
        report = publish_site(app.settings, store, utcnow(), out)
    finally:
        store.close()
    click.echo(report.summary())
    for problem in report.problems:
        click.echo(f"  {problem}")


@click.group()
def feeds() -> None:
    """The configured feeds as OPML, the format feed readers exchange subscriptions in."""


@feeds.command(name="export")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Default: stdout.")
@pass_app
def feeds_export(app: App, out: Path | None) -> None:
    """Write the configured feeds as OPML 2.0 (local-file feeds become a comment)."""
    data = export_opml(app.settings)
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
    result = import_opml(app.settings, opml_file)
    click.echo(result.summary(app.settings.config_path))
    for note in result.skipped:
        click.echo(f"  skipped {note}")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--threads", type=click.IntRange(1, 64), default=8, show_default=True)
@click.option(
    "--proxies",
    type=click.IntRange(0, 5),
    default=0,
    show_default=True,
    help="Reverse proxies in front (e.g. 1 behind nginx): trust that many X-Forwarded-* hops.",
)
@pass_app
def serve(app: App, host: str, port: int, threads: int, proxies: int) -> None:
    """The web app: subscribe, confirm, unsubscribe, ask a question, the archive and the
    feeds, on the waitress production server."""
    from newsletter.web import create_app
    from newsletter.web.server import make_server

    store = app.store()
    try:
        web_app = create_app(app.settings, store, utcnow, proxies=proxies)
        server = make_server(web_app, host, port, threads)
        click.echo(f"serving {app.settings.site.title} on http://{host}:{server.port}/")
        server.run()
    finally:
        store.close()


COMMANDS: list[click.Command] = [publish, feeds, serve]
