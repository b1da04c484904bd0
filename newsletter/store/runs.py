"""Runs: one row per command that collects or sends, with its report (`status` reads the last)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update

from newsletter.store.base import SqlBase
from newsletter.store.models import Run


class RunCommand(StrEnum):
    """The commands that record a run (what `status` and the health check report)."""

    RUN = "run"
    COLLECT = "collect"


@dataclass(frozen=True)
class RunRecord:
    id: int
    command: RunCommand
    started_at: datetime
    finished_at: datetime | None
    report: dict[str, object] | None


class RunsSql(SqlBase):
    """The runs table."""

    def start_run(self, command: RunCommand, now: datetime) -> int:
        with self._session() as session:
            run = Run(command=command, started_at=now)
            session.add(run)
            session.flush()
            return run.id

    def finish_run(self, run_id: int, now: datetime, report: dict[str, Any]) -> None:
        with self._session() as session:
            session.execute(
                update(Run)
                .where(Run.id == run_id)
                .values(finished_at=now, report=json.dumps(report, default=str))
            )

    def last_run(self) -> RunRecord | None:
        """The latest run (`newsletter run` or `collect`), for the health check."""
        with self._session() as session:
            run = session.scalars(select(Run).order_by(Run.id.desc()).limit(1)).first()
            if run is None:
                return None
            report = json.loads(run.report) if run.report else None
            command = RunCommand(run.command)
            return RunRecord(run.id, command, run.started_at, run.finished_at, report)
