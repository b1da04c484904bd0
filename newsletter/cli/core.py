"""run, collect, status and db: the commands of the foundation."""

from __future__ import annotations

import json
from typing import Any

import click

from newsletter import status as status_mod
from newsletter.cli.app import App, pass_app, utcnow
from newsletter.collect import CollectReport, collect
from newsletter.errors import NewsletterError
from newsletter.lock import Busy, RunLock
from newsletter.run import run_all
from newsletter.store import SqlStore, upgrade_database
from newsletter.ui import FeedProgress


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
    store = app.store()
    progress = FeedProgress()
    try:
        run_id = store.start_run("run", utcnow())
        try:
            report = run_all(app.settings, store, utcnow, progress.start, progress.feed)
        finally:
            progress.stop()
        store.finish_run(run_id, utcnow(), report.as_dict())
    finally:
        store.close()
    for line in report.lines():
        click.echo(line)
    if not report.ok:
        raise NewsletterError("the run finished with errors (see above)")


@click.command(name="collect")
@pass_app
def collect_cmd(app: App) -> None:
    """Fetch the feeds and store new and changed articles and questions."""
    store = app.store()
    try:
        run_id = store.start_run("collect", utcnow())
        report = _collect(app, store)
        store.finish_run(run_id, utcnow(), {"collect": report.as_dict()})
    finally:
        store.close()
    _print_report(report)


def _collect(app: App, store: SqlStore) -> CollectReport:
    progress = FeedProgress()
    try:
        return collect(app.settings, store, utcnow, progress.start, progress.feed)
    finally:
        progress.stop()


def _print_report(report: CollectReport) -> None:
    click.echo(report.summary())
    for problem in report.problems:
        click.echo(f"  {problem.name}: {problem.message}")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
def status(app: App, as_json: bool) -> None:
    """Feed health (last success, last error, failures, next attempt, gone) and the last run."""
    store = app.store()
    try:
        entries = {kind: store.entry_count(kind) for kind in ("article", "question")}
        latest = store.digest_to_send(None)
        digest: dict[str, Any] | None = None
        if latest is not None:
            counts = store.delivery_counts(latest.id)
            digest = {"week": latest.week, "subject": latest.subject, "deliveries": counts}
        data = status_mod.status_data(
            store.feed_states(), store.last_run(), entries, utcnow(), digest
        )
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    _print_status(data)


def _print_status(data: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="feeds", title_justify="left")
    for column in ("feed", "health", "last success", "failures", "next attempt", "last error"):
        table.add_column(column, overflow="fold")
    for feed in data["feeds"]:
        table.add_row(
            feed["name"],
            feed["health"],
            feed["last_success"] or "never",
            str(feed["consecutive_failures"]),
            "stopped (gone)" if feed["gone"] else feed["next_attempt"] or "next run",
            feed["last_error"] or "",
        )
    console = Console()
    console.print(table)
    entries = data["entries"]
    console.print(f"entries: {entries['article']} articles, {entries['question']} questions")
    digest = data["digest"]
    if digest:
        counts = ", ".join(f"{n} {state}" for state, n in digest["deliveries"].items())
        console.print(f"digest {digest['week']} ({digest['subject']}): {counts}")
    else:
        console.print("digest: none built yet")
    run = data["last_run"]
    if run:
        console.print(
            f"last {run['command']}: started {run['started']}, finished {run['finished']}"
        )


@click.group()
def db() -> None:
    """The database."""


@db.command()
@pass_app
def upgrade(app: App) -> None:
    """Apply pending migrations (done automatically for the embedded SQLite default)."""
    before, after = upgrade_database(app.settings)
    if before == after:
        click.echo(f"database already at revision {after}")
    else:
        click.echo(f"database migrated from {before or 'empty'} to {after}")


COMMANDS: list[click.Command] = [run, collect_cmd, status, db]
