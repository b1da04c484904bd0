"""How progress reaches a person: a progress bar on a terminal, plain lines under cron."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from newsletter.collect import FeedOutcome


def describe(outcome: FeedOutcome) -> str:
    if outcome.outcome == "ok":
        text = f"{outcome.name}: {outcome.new} new, {outcome.updated} updated"
        return text + (f" (warning: {outcome.warning})" if outcome.warning else "")
    if outcome.outcome == "not_modified":
        return f"{outcome.name}: unchanged"
    return f"{outcome.name}: {outcome.message}"


class FeedProgress:
    """Receives collect's callbacks; draws a bar when stderr is a terminal."""

    def __init__(self, stream: TextIO | None = None, force_plain: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.interactive = not force_plain and self.stream.isatty()
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def start(self, total: int) -> None:
        if not self.interactive:
            self._log(f"collecting {total} feed(s)")
            return
        self._progress = Progress(
            TextColumn("collecting"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=Console(file=self.stream),
            transient=True,
        )
        self._progress.start()
        self._task = self._progress.add_task("", total=total)

    def feed(self, outcome: FeedOutcome) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, advance=1, description=outcome.name[:40])
            if outcome.outcome in ("failed", "retry_later", "gone"):
                self._progress.console.print(f"[yellow]{describe(outcome)}[/yellow]")
            return
        self._log(describe(outcome))

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def _log(self, line: str) -> None:
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        print(f"{stamp} {line}", file=self.stream, flush=True)
