"""run: collect, publish, and send when due, from cron."""

from __future__ import annotations

import click

from newsletter.cli.app import App, pass_app, utcnow
from newsletter.errors import NewsletterError
from newsletter.lock import Busy, RunLock


@click.command()
@pass_app
def run(app: App) -> None:
    """Collect, publish, and send this week's digest when due (the cron entry point).

    Safe to run every few minutes: a second run while one is going exits 0 at once.
    """
    settings = app.settings
    try:
        with RunLock(settings.db_dir / "run.lock"):
            _run_locked(app)
    except Busy as busy:
        click.echo(f"another newsletter run is in progress (pid {busy}); nothing to do")


def _run_locked(app: App) -> None:
    from newsletter.progress import FeedProgress
    from newsletter.run import run_all
    from newsletter.store.runs import RunCommand

    progress = FeedProgress()
    with app.store() as store:
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
