"""publish: write the feeds and the archive."""

from __future__ import annotations

from pathlib import Path

import click

from newsletter.cli.app import App, pass_app, utcnow
from newsletter.formats import FORMATS

_FILES = ", ".join(f"{f.path} ({f.title})" for f in FORMATS)


@click.command(
    help=f"""Write the feeds and archive/: {_FILES}.

    Files whose content did not change are left alone; when site.websub_hub is set, the
    hub is told which feeds changed.
    """
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write to. Default: public/ next to feeds.yaml.",
)
@pass_app
def publish(app: App, out: Path | None) -> None:
    from newsletter.publish import publish_site

    with app.store() as store:
        report = publish_site(app.settings, store, utcnow(), out)
    click.echo(report.summary())
    for problem in report.problems:
        click.echo(f"  {problem}")


COMMANDS: list[click.Command] = [publish]
