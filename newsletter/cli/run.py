"""run: collect, publish, and send when due, from cron."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from newsletter.cli.app import App, pass_app, utcnow, verbose_option
from newsletter.errors import NewsletterError

if TYPE_CHECKING:
    from newsletter.run import RunReport
    from newsletter.store import SqlStore


@click.command()
@verbose_option
@pass_app
def run(app: App, verbose: bool) -> None:
    """Collect, publish, and send the digest and programme steps when due (the cron entry point).

    Safe to run every few minutes: a second run while one is going exits 0 at once.
    On PostgreSQL, runs on several machines share the collecting and one of them does
    the rest.
    """
    from newsletter.mail.transport import require_transport

    # Before anything: a cron line without a mail server is exit 2.
    require_transport(app.settings.env.smtp_url, app.settings.env.outbox)
    with app.store() as store:
        if store.shared_by_machines:
            _run_shared(app, store, verbose or app.verbose)
            return
        with store.run_lock() as lock:
            if not lock.held:
                click.echo(f"another newsletter run is in progress ({lock.holder}); nothing to do")
                return
            _run_locked(app, store, verbose or app.verbose)


def _run_locked(app: App, store: SqlStore, verbose: bool) -> None:
    from newsletter.run import run_after_collect

    report, run_id = _collect(app, store, verbose)
    _finish(store, run_id, run_after_collect(app.settings, store, utcnow, report))


def _run_shared(app: App, store: SqlStore, verbose: bool) -> None:
    """A server database may be shared by several machines: their collectors share each
    round (feed leases), and the database's advisory lock lets one of them at a time do
    the rest, where a file would only keep apart the runs of one machine."""
    from newsletter.run import run_after_collect

    report, run_id = _collect(app, store, verbose)
    with store.run_lock() as lock:
        if lock.held:
            report = run_after_collect(app.settings, store, utcnow, report)
    if not lock.held:
        click.echo(
            "collected; another newsletter run holds this database's lock, "
            "so it does the rest (bounces, digest, publish, send)"
        )
    _finish(store, run_id, report)


def _collect(app: App, store: SqlStore, verbose: bool) -> tuple[RunReport, int]:
    from newsletter.progress import FeedProgress
    from newsletter.run import run_collect
    from newsletter.store.runs import RunCommand

    progress = FeedProgress(verbose=verbose)
    run_id = store.start_run(RunCommand.RUN, utcnow())
    try:
        return run_collect(
            app.settings.feeds, app.settings.collect, store, utcnow, progress
        ), run_id
    finally:
        progress.stop()


def _finish(store: SqlStore, run_id: int, report: RunReport) -> None:
    store.finish_run(run_id, utcnow(), report.as_dict())
    for line in report.lines():
        click.echo(line)
    if not report.ok:
        raise NewsletterError("the run finished with errors (see above)")


COMMANDS: list[click.Command] = [run]
