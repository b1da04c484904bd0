"""The `newsletter` group, the shared App, and the translation of errors to one line.

Errors reach the user as one sentence on stderr with exit status 1 (the command failed)
or 2 (usage or configuration), never a traceback (set NEWSLETTER_DEBUG=1 to see one).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from newsletter.config import DEFAULT_CONFIG
from newsletter.errors import NewsletterError
from newsletter.formats import feed_titles

if TYPE_CHECKING:
    from newsletter.config import Settings
    from newsletter.store import SqlStore


def utcnow() -> datetime:
    return datetime.now(UTC)


def interactive() -> bool:
    """A person at a terminal: only then may a command ask a question (cron, scripts and
    pipes get a usage error or the default instead of a prompt that reads end-of-file)."""
    return sys.stdin.isatty() and sys.stdout.isatty()


class Failed(click.ClickException):
    """A NewsletterError on its way out: printed as one line, exit status 1."""

    exit_code = 1

    def show(self, file: Any = None) -> None:
        click.echo(f"newsletter: {self.message}", err=True)


class Refused(Failed):
    """A usage or configuration error: exit status 2."""

    exit_code = 2


def _failure(message: str, exit_code: int) -> Failed:
    return Refused(message) if exit_code == 2 else Failed(message)


class Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except NewsletterError as exc:
            raise _failure(str(exc), exc.exit_code) from None
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            if os.environ.get("NEWSLETTER_DEBUG"):
                raise
            message = f"unexpected {exc.__class__.__name__}: {exc} (NEWSLETTER_DEBUG=1 shows more)"
            raise Failed(message) from None


class App:
    """What every command needs, built on first use so --help never reads the config."""

    def __init__(self, config_path: Path, verbose: bool = False) -> None:
        self.config_path = config_path
        self.verbose = verbose  # a line per feed under cron, not only the problems
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from newsletter.config import load_settings

            self._settings = load_settings(self.config_path)
        return self._settings

    @contextmanager
    def store(self) -> Iterator[SqlStore]:
        """The database for one command: `with app.store() as store:`, closed however it ends.
        A lost signing key is refused here, before any command can mail a link."""
        # Imported here so that --help and commands without a database never load SQLAlchemy.
        from newsletter.store import open_store
        from newsletter.subscribers.tokens import check_signing_key

        store = open_store(self.settings.env.database_url)
        try:
            check_signing_key(self.settings.env.secret_key, self.settings.db_dir, store.links_sent)
            yield store
        finally:
            store.close()


pass_app = click.make_pass_decorator(App)

# `newsletter run -v` as well as `newsletter -v run`.
verbose_option = click.option(
    "-v", "--verbose", is_flag=True, help="Details, like a line per feed collected."
)


@click.group(
    cls=Group,
    context_settings={"help_option_names": ["-h", "--help"]},
    help=f"""A self-hosted feed aggregator and weekly newsletter.

    Collects the feeds of feeds.yaml, publishes {feed_titles()}, and sends a
    weekly digest with a featured foot exercise. `newsletter run` does it all, from cron.
    """,
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="NEWSLETTER_CONFIG",
    default=DEFAULT_CONFIG,
    show_default=True,
    help="The site's feeds.yaml.",
)
@verbose_option
@click.version_option(package_name="newsletter")
@click.pass_context
def cli(ctx: click.Context, config_path: Path, verbose: bool) -> None:
    ctx.obj = App(config_path, verbose)
