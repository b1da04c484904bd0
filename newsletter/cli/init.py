"""init: the starter files of a new site, and the next steps."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import click

from newsletter.config.starter import next_steps, write_starter


@click.command()
@click.argument(
    "folder", metavar="[DIR]", default=".", type=click.Path(file_okay=False, path_type=Path)
)
def init(folder: Path) -> None:
    """Write a commented feeds.yaml, exercises.yaml and an example questions feed into DIR
    (default: here), never overwriting; print the next steps.

    The steps cover cron, the systemd units, NEWSLETTER_BASE_URL and the mail DNS records
    (SPF, DKIM, DMARC).
    """
    from newsletter.digest.catalog import default_catalog_path

    catalog = default_catalog_path().read_text(encoding="utf-8")
    for path in write_starter(folder, catalog):
        click.echo(f"wrote {path}")
    click.echo()
    click.echo(next_steps(folder, _program()), nl=False)


def _program() -> str:
    """The command as the user can run it again, from cron too: its full path."""
    if Path(sys.argv[0]).name == "newsletter":
        return str(Path(sys.argv[0]).resolve())
    return shutil.which("newsletter") or f"{sys.executable} -m newsletter"


COMMANDS: list[click.Command] = [init]
