"""run: collect, publish, and send when due, from cron."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from newsletter.cli.app import App, pass_app, utcnow, verbose_option
from newsletter.errors import NewsletterError
from newsletter.lock import Busy, RunLock

if TYPE_CHECKING:
    from newsletter.store import SqlStore


@click.command()
@verbose_option
@pass_app
def run(app: App, verbose: bool) -> None:
    """Collect, publish, and send this week's digest when due (the cron entry point).

    Safe to run every few minutes: a second run while one is going exits 0 at once.
    """
    settings = app.settings
    if not settings.env.database_url.startswith("sqlite"):
        # A server database may be shared by several machines: its advisory lock keeps
        # their runs apart, where a file would only keep apart those of one machine.
        with app.store() as store, store.run_lock() as held:
            if not held:
                click.echo("another newsletter run holds this database's lock; nothing to do")
                return
            _run_locked(app, store, verbose or app.verbose)
        return
    try:
        with RunLock(settings.db_dir / "run.lock"), app.store() as store:
            _run_locked(app, store, verbose or app.verbose)
    except Busy as busy:
        click.echo(f"another newsletter run is in progress (pid {busy}); nothing to do")


def _run_locked(app: App, store: SqlStore, verbose: bool) -> None:
    from newsletter.progress import FeedProgress
    from newsletter.run import run_all
    from newsletter.store.runs import RunCommand

    progress = FeedProgress(verbose=verbose)
    run_id = store.start_run(RunCommand.RUN, utcnow())
    try:
        report = run_all(app.settings, store, utcnow, progress.start, progress.feed)
    finally:
        progress.stop()
    store.finish_run(run_id, utcnow(), report.as_dict())
    for line in report.lines():
        click.echo(line)
    if not report.ok:
        raise NewsletterError("the run finished with errors (see above)")


COMMANDS: list[click.Command] = [run]
