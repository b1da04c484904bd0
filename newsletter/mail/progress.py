"""Progress of a send: a bar with rate and ETA on a terminal; under cron one line to start,
and the summary the command prints at the end."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Protocol, TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.progress import Progress as Bar
from rich.text import Text


class Progress(Protocol):
    """What the sender reports as it goes (called from its worker threads)."""

    def start(self, total: int, label: str) -> None: ...

    def advance(self, verdict: str) -> None: ...

    def stop(self) -> None: ...


class SilentProgress:
    def start(self, total: int, label: str) -> None:
        pass

    def advance(self, verdict: str) -> None:
        pass

    def stop(self) -> None:
        pass


class RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:.0f} msg/s" if speed else "- msg/s")


class SendProgress:
    """Receives the sender's callbacks (from its worker threads; rich locks itself)."""

    def __init__(self, stream: TextIO | None = None, force_plain: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.interactive = not force_plain and self.stream.isatty()
        self._progress: Bar | None = None
        self._task: TaskID | None = None

    def start(self, total: int, label: str) -> None:
        if not self.interactive:
            stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            print(f"{stamp} sending digest {label}: {total} due", file=self.stream, flush=True)
            return
        self._progress = Bar(
            TextColumn(f"sending {label}"),
            BarColumn(),
            MofNCompleteColumn(),
            RateColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=Console(file=self.stream),
            transient=True,
        )
        self._progress.start()
        self._task = self._progress.add_task("", total=total)

    def advance(self, verdict: str) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, advance=1)

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
