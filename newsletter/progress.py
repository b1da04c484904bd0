"""How progress reaches a person, for collect and for send: a progress bar on a terminal,
plain time-stamped lines under cron (whose log has no clock of its own)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from newsletter.collect import FeedOutcome


def log_line(stream: TextIO, line: str) -> None:
    """One line of a cron log, stamped with the UTC time it was written."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    print(f"{stamp} {line}", file=stream, flush=True)


class _Display:
    """A rich bar when the stream is a terminal (or nothing until started), else log lines."""

    def __init__(self, stream: TextIO | None = None, force_plain: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.interactive = not force_plain and self.stream.isatty()
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def _start_bar(self, total: int, *columns: ProgressColumn) -> None:
        self._progress = Progress(*columns, console=Console(file=self.stream), transient=True)
        self._progress.start()
        self._task = self._progress.add_task("", total=total)

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


def describe(outcome: FeedOutcome) -> str:
    if outcome.outcome == "ok":
        text = f"{outcome.name}: {outcome.new} new, {outcome.updated} updated"
        return text + (f" (warning: {outcome.warning})" if outcome.warning else "")
    if outcome.outcome == "not_modified":
        return f"{outcome.name}: unchanged"
    return f"{outcome.name}: {outcome.message}"


class FeedProgress(_Display):
    """Receives collect's callbacks. Under cron, every ten minutes, a line per feed would
    bury the one that matters: without ``verbose`` only a feed's warning gets a line here
    (failures are in the command's report, after its summary line)."""

    def __init__(
        self, stream: TextIO | None = None, force_plain: bool = False, verbose: bool = False
    ) -> None:
        super().__init__(stream, force_plain)
        self.verbose = verbose

    def start(self, total: int) -> None:
        if not self.interactive:
            if self.verbose:
                log_line(self.stream, f"collecting {total} feed(s)")
            return
        self._start_bar(
            total,
            TextColumn("collecting"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
        )

    def feed(self, outcome: FeedOutcome) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, advance=1, description=outcome.name[:40])
            if outcome.outcome in ("failed", "retry_later", "gone"):
                self._progress.console.print(f"[yellow]{describe(outcome)}[/yellow]")
            return
        if self.verbose or (outcome.outcome == "ok" and outcome.warning):
            log_line(self.stream, describe(outcome))


class RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:.0f} msg/s" if speed else "- msg/s")


class SendProgress(_Display):
    """Receives the sender's callbacks (the mail Progress protocol, from its worker
    threads; rich locks itself); under cron one line to start, the command prints the
    summary at the end."""

    def start(self, total: int, label: str) -> None:
        if not self.interactive:
            log_line(self.stream, f"sending digest {label}: {total} due")
            return
        self._start_bar(
            total,
            TextColumn(f"sending {label}"),
            BarColumn(),
            MofNCompleteColumn(),
            RateColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
        )

    def advance(self, verdict: str) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, advance=1)
