"""status: feed health, entry counts, the latest digest and the last run."""

from __future__ import annotations

import json
from typing import Any

import click

from newsletter.cli.app import App, pass_app, utcnow


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
def status(app: App, as_json: bool) -> None:
    """Feed health (last success, last error, failures, next attempt, gone) and the last run."""
    from newsletter import status as status_mod
    from newsletter.mail.bounces.stats import digest_stats
    from newsletter.store.entries import EntryKind

    with app.store() as store:
        entries = {kind.value: store.entry_count(kind) for kind in EntryKind}
        latest = store.digest_to_send(None)
        digest: dict[str, Any] | None = None
        if latest is not None:
            counts = store.delivery_counts(latest.id)
            digest = {"week": latest.week, "subject": latest.subject, "deliveries": counts}
        data = status_mod.status_data(
            store.feed_states(), store.last_run(), entries, utcnow(), digest
        )
        data["deliverability"] = [digest_stats(s) for s in store.bounce_stats()]
        data["bounce_reports_refused"] = store.refused_bounces()
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    _print_status(data)


def _print_status(data: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    from newsletter import status as status_mod
    from newsletter.mail.bounces.stats import digest_line_of

    shown = status_mod.shown
    table = Table(title="feeds", title_justify="left")
    for column in ("feed", "health", "last success", "failures", "next attempt", "last error"):
        # Dates and states stay whole at any width; names and errors wrap instead.
        whole = column in ("health", "last success", "failures", "next attempt")
        table.add_column(column, overflow="fold", no_wrap=whole)
    for feed in data["feeds"]:
        table.add_row(
            feed["name"],
            feed["health"],
            shown(feed["last_success"]) or "never",
            str(feed["consecutive_failures"]),
            "stopped (gone)" if feed["gone"] else shown(feed["next_attempt"]) or "next run",
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
    for stats in data["deliverability"]:
        console.print(digest_line_of(stats))
    if data["bounce_reports_refused"]:
        refused = data["bounce_reports_refused"]
        console.print(f"bounce reports refused (they proved nothing): {refused}")
    run = data["last_run"]
    if run:
        console.print(
            f"last {run['command']}: started {shown(run['started'])}, "
            f"finished {shown(run['finished'])}"
        )


COMMANDS: list[click.Command] = [status]
