"""status: feed health, entry counts, the latest digest, the programmes and the last run."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from newsletter.cli.app import App, pass_app, utcnow

if TYPE_CHECKING:
    from pathlib import Path

    from rich.console import Console
    from rich.table import Table

    from newsletter.store import SqlStore


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
def status(app: App, as_json: bool) -> None:
    """Feed health (last success, last error, failures, next attempt, gone), where each
    programme's readers are, and the last run."""
    from newsletter import status as status_mod
    from newsletter.mail.bounces.stats import digest_stats
    from newsletter.store.entries import EntryKind
    from newsletter.store.feeds import split_retired

    with app.store() as store:
        entries = {kind.value: store.entry_count(kind) for kind in EntryKind}
        latest = store.digest_to_send(None)
        digest: dict[str, Any] | None = None
        if latest is not None:
            counts = store.delivery_counts(latest.id)
            digest = {"week": latest.week, "subject": latest.subject, "deliveries": counts}
            digest["resent_after_crash"] = store.resent_after_crash(latest.id)
        current, retired = split_retired(store.feed_states(), app.settings.feeds)
        data = status_mod.status_data(current, store.last_run(), entries, utcnow(), digest, retired)
        data["deliverability"] = [digest_stats(s) for s in store.bounce_stats()]
        data["bounce_reports_refused"] = store.refused_bounces()
        data["fediverse"] = (
            status_mod.fediverse_data(status_mod.federation(store, utcnow()), utcnow())
            if app.settings.fediverse is not None
            else None
        )
        data["programmes"], data["programmes_error"] = _programmes(app.settings.root, store)
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    _print_status(data)


def _programmes(site_root: Path, store: SqlStore) -> tuple[list[dict[str, Any]], str | None]:
    """Where the readers of each programme of programmes.yaml are; the file's mistake, if
    it has one (status reports the rest all the same)."""
    from newsletter.errors import ConfigError
    from newsletter.programmes.file import load_site_programmes
    from newsletter.status import programme_data

    try:
        found = load_site_programmes(site_root)
    except ConfigError as exc:
        return [], str(exc)
    return [programme_data(p.title, p.length, store.programme_counts(p.key)) for p in found], None


def _print_status(data: dict[str, Any]) -> None:
    import sys

    from rich.console import Console

    # A table for a person at a terminal; piped (`status | cat`, a cron mail, grep) the
    # columns would be cut to 80 characters, so one plain line per feed instead.
    console = Console()
    if sys.stdout.isatty():
        console.print(_feed_table(data["feeds"]))
    else:
        console = Console(soft_wrap=True, no_color=True, highlight=False)
        console.print("feeds:")
        for line in _feed_lines(data["feeds"]):
            console.print(line, markup=False)
    _print_summary(console, data)


def _feed_lines(feeds: list[dict[str, Any]]) -> list[str]:
    from newsletter.status import shown

    lines = []
    for feed in feeds:
        line = (
            f"  {feed['name']}: {feed['health']}, last success "
            f"{shown(feed['last_success']) or 'never'}, {feed['consecutive_failures']} failure(s), "
            f"next attempt {_next_attempt(feed)}"
        )
        lines.append(line + (f", last error: {feed['last_error']}" if feed["last_error"] else ""))
    return lines


def _next_attempt(feed: dict[str, Any]) -> str:
    from newsletter.status import shown

    return "stopped (gone)" if feed["gone"] else shown(feed["next_attempt"]) or "next run"


def _feed_table(feeds: list[dict[str, Any]]) -> Table:
    from rich.table import Table

    from newsletter.status import shown

    table = Table(title="feeds", title_justify="left")
    for column in ("feed", "health", "last success", "failures", "next attempt", "last error"):
        # Dates and states stay whole at any width; names and errors wrap instead.
        whole = column in ("health", "last success", "failures", "next attempt")
        table.add_column(column, overflow="fold", no_wrap=whole)
    for feed in feeds:
        table.add_row(
            feed["name"],
            feed["health"],
            shown(feed["last_success"]) or "never",
            str(feed["consecutive_failures"]),
            _next_attempt(feed),
            feed["last_error"] or "",
        )
    return table


def _print_summary(console: Console, data: dict[str, Any]) -> None:
    from newsletter.mail.bounces.stats import digest_line_of
    from newsletter.mail.report import RESENT_HELP
    from newsletter.status import programme_line, shown

    retired = data["retired_feeds"]
    if retired:
        names = ", ".join(feed["name"] for feed in retired)
        console.print(
            f"retired (no longer in feeds.yaml, not fetched, entries kept): {names}; "
            "`newsletter feeds forget` forgets them",
            markup=False,
        )
    entries = data["entries"]
    console.print(f"entries: {entries['article']} articles, {entries['question']} questions")
    digest = data["digest"]
    if digest:
        counts = ", ".join(f"{n} {state}" for state, n in digest["deliveries"].items())
        if digest["resent_after_crash"]:
            counts += f"; {digest['resent_after_crash']} re-sent after a crash ({RESENT_HELP})"
        console.print(f"digest {digest['week']} ({digest['subject']}): {counts}")
    else:
        console.print("digest: none built yet")
    for stats in data["deliverability"]:
        console.print(digest_line_of(stats))
    if data["bounce_reports_refused"]:
        refused = data["bounce_reports_refused"]
        console.print(f"bounce reports refused (they proved nothing): {refused}")
    if data["fediverse"] is not None:
        console.print(_fediverse_line(data["fediverse"]), markup=False)
    for programme in data["programmes"]:
        console.print(programme_line(programme), markup=False)
    if data["programmes_error"]:
        console.print(f"programmes: none offered, {data['programmes_error']}", markup=False)
    run = data["last_run"]
    if run:
        console.print(
            f"last {run['command']}: started {shown(run['started'])}, "
            f"finished {shown(run['finished'])}"
        )


def _fediverse_line(data: dict[str, Any]) -> str:
    from newsletter.status import shown

    sent = data["deliveries"]
    line = f"fediverse: {data['followers']} followers; deliveries {sent['health']}"
    if sent["due"]:
        line += f", {sent['due']} due since {shown(sent['oldest_due'])}"
    if sent["retrying"]:
        servers = ", ".join(s["server"] for s in data["servers_retrying"][:3])
        line += f", {sent['retrying']} waiting for a retry ({servers})"
    if sent["failed"]:
        line += f", {sent['failed']} given up"
    pending = sum(1 for reply in data["replies"] if reply["status"] == "pending")
    return line + f"; {len(data['replies'])} recent replies, {pending} awaiting moderation"


COMMANDS: list[click.Command] = [status]
