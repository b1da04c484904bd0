"""collect: fetch the feeds and store what is new."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from newsletter.cli.app import App, pass_app, utcnow, verbose_option

if TYPE_CHECKING:
    from newsletter.collect import CollectReport
    from newsletter.store import SqlStore


@click.command(name="collect")
@verbose_option
@pass_app
def collect_cmd(app: App, verbose: bool) -> None:
    """Fetch the feeds and store new and changed articles and questions."""
    from newsletter.store.runs import RunCommand

    with app.store() as store:
        run_id = store.start_run(RunCommand.COLLECT, utcnow())
        report = _collect(app, store, verbose or app.verbose)
        store.finish_run(run_id, utcnow(), {"collect": report.as_dict()})
    _print_report(report)


def _collect(app: App, store: SqlStore, verbose: bool) -> CollectReport:
    from newsletter.collect import collect
    from newsletter.progress import FeedProgress

    progress = FeedProgress(verbose=verbose)
    try:
        return collect(app.settings.feeds, app.settings.collect, store, utcnow, progress)
    finally:
        progress.stop()


def _print_report(report: CollectReport) -> None:
    click.echo(report.summary())
    for problem in report.problems:
        click.echo(f"  {problem.name}: {problem.message}")


COMMANDS: list[click.Command] = [collect_cmd]
