"""The `newsletter` command: thin commands over config, collect, store and friends.

Each command's docstring is its --help. Errors reach the user as one sentence on stderr
with exit status 1 (the command failed) or 2 (usage or configuration), never a traceback
(set NEWSLETTER_DEBUG=1 to see one).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import click

from newsletter import status as status_mod
from newsletter.collect import CollectReport, collect
from newsletter.config import DEFAULT_CONFIG, Settings, load_settings
from newsletter.errors import NewsletterError, NotAvailable
from newsletter.lock import Busy, RunLock
from newsletter.store import SqlStore, open_store, upgrade_database
from newsletter.ui import FeedProgress


def utcnow() -> datetime:
    return datetime.now(UTC)


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

    def __init__(self, config_path: Path) -> None:
        self.config_path = config_path
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config_path)
        return self._settings

    def store(self) -> SqlStore:
        return open_store(self.settings)


pass_app = click.make_pass_decorator(App)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="NEWSLETTER_CONFIG",
    default=DEFAULT_CONFIG,
    show_default=True,
    help="The site's feeds.yaml.",
)
@click.version_option(package_name="newsletter")
@click.pass_context
def cli(ctx: click.Context, config_path: Path) -> None:
    """A self-hosted feed aggregator and weekly newsletter.

    Collects the feeds of feeds.yaml, publishes RSS, Atom and JSON Feed, and sends a
    weekly digest with a featured foot exercise. `newsletter run` does it all, from cron.
    """
    ctx.obj = App(config_path)


@cli.command()
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
    try:
        run_id = store.start_run("run", utcnow())
        report = _collect(app, store)
        steps = {"collect": report.as_dict()}
        store.finish_run(run_id, utcnow(), steps)
    finally:
        store.close()
    _print_report(report)
    click.echo("publish, digest and send: not available yet (they arrive with their issues)")


@cli.command(name="collect")
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


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
def status(app: App, as_json: bool) -> None:
    """Feed health (last success, last error, failures, next attempt, gone) and the last run."""
    store = app.store()
    try:
        entries = {kind: store.entry_count(kind) for kind in ("article", "question")}
        data = status_mod.status_data(store.feed_states(), store.last_run(), entries, utcnow())
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
    run = data["last_run"]
    if run:
        console.print(
            f"last {run['command']}: started {run['started']}, finished {run['finished']}"
        )


@cli.group()
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


def _later(command: str, capability: str) -> NoReturn:
    raise NotAvailable(f"`newsletter {command}` is not available yet (it comes with {capability})")


@cli.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Default: public/.")
def publish(out: Path | None) -> None:
    """Write feed.xml (RSS 2.0), atom.xml, feed.json (JSON Feed 1.1) and archive/."""
    _later("publish", "publishing")


@cli.command()
@click.option("--week", metavar="YYYY-Www", help="ISO week; default: the current one.")
def digest(week: str | None) -> None:
    """Build the digest of an ISO week once, and queue one delivery per subscriber."""
    _later("digest", "the weekly digest")


@cli.command()
@click.option("--week", metavar="YYYY-Www")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True)
@click.option("--rate", type=click.FloatRange(min=0, min_open=True), help="Messages per second.")
def send(week: str | None, workers: int, rate: float | None) -> None:
    """Deliver queued digest emails; resumable after a crash."""
    _later("send", "delivery")


@cli.command()
@click.option("--week", metavar="YYYY-Www")
@click.option("--text", is_flag=True, help="The plain-text version instead of HTML.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path))
def preview(week: str | None, text: bool, out: Path | None) -> None:
    """Render a digest without recording or queueing anything."""
    _later("preview", "the weekly digest")


@cli.group()
def subscribers() -> None:
    """Manage subscribers."""


@subscribers.command(name="add")
@click.argument("emails", nargs=-1, required=True)
@click.option("--confirmed", is_flag=True, help="Skip the confirmation email.")
def subscribers_add(emails: Sequence[str], confirmed: bool) -> None:
    """Add subscribers (without --confirmed, each gets a confirmation email)."""
    _later("subscribers add", "subscribers and delivery")


@subscribers.command(name="import")
@click.argument("csv_file", type=click.Path(dir_okay=False, path_type=Path))
def subscribers_import(csv_file: Path) -> None:
    """Import subscribers from a CSV file with columns email[,name]."""
    _later("subscribers import", "subscribers and delivery")


@subscribers.command(name="export")
def subscribers_export() -> None:
    """Export subscribers as CSV."""
    _later("subscribers export", "subscribers and delivery")


@subscribers.command(name="list")
@click.option("--all", "show_all", is_flag=True, help="Include unsubscribed and bounced.")
def subscribers_list(show_all: bool) -> None:
    """List subscribers and their state."""
    _later("subscribers list", "subscribers and delivery")


@subscribers.command(name="remove")
@click.argument("email")
def subscribers_remove(email: str) -> None:
    """Unsubscribe an address (it is kept, so an import never brings it back)."""
    _later("subscribers remove", "subscribers and delivery")


@cli.group()
def questions() -> None:
    """Reader questions and their moderation."""


@questions.command(name="add")
def questions_add() -> None:
    """Add a reader question (pending until approved)."""
    _later("questions add", "the web app")


@questions.command(name="list")
@click.option("--pending", is_flag=True, help="Only questions waiting for moderation.")
def questions_list(pending: bool) -> None:
    """List reader questions."""
    _later("questions list", "the web app")


@questions.command(name="approve")
@click.argument("question_id", type=int)
def questions_approve(question_id: int) -> None:
    """Approve a question: it appears in the feeds and the next digest."""
    _later("questions approve", "the web app")


@questions.command(name="reject")
@click.argument("question_id", type=int)
def questions_reject(question_id: int) -> None:
    """Reject a question."""
    _later("questions reject", "the web app")


@cli.group()
def exercises() -> None:
    """The exercise catalog and the featured exercise of each week."""


@exercises.command(name="list")
def exercises_list() -> None:
    """List the catalog and the weeks each exercise was featured."""
    _later("exercises list", "the weekly digest")


@exercises.command(name="feature")
@click.argument("slug")
@click.option("--week", metavar="YYYY-Www")
def exercises_feature(slug: str, week: str | None) -> None:
    """Pin an exercise to a week."""
    _later("exercises feature", "the weekly digest")


@cli.group()
def feeds() -> None:
    """The configured feeds as OPML."""


@feeds.command(name="export")
def feeds_export() -> None:
    """Write the configured feeds as OPML 2.0."""
    _later("feeds export", "publishing")


@feeds.command(name="import")
@click.argument("opml_file", type=click.Path(dir_okay=False, path_type=Path))
def feeds_import(opml_file: Path) -> None:
    """Add the feeds of an OPML file to feeds.yaml."""
    _later("feeds import", "publishing")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
def serve(host: str, port: int) -> None:
    """The web app (subscribe, confirm, unsubscribe, questions, archive, feeds)."""
    _later("serve", "the web app")


def main(argv: Sequence[str] | None = None) -> None:
    cli.main(args=list(argv) if argv is not None else sys.argv[1:], prog_name="newsletter")
