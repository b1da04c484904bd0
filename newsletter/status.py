"""What `newsletter status` shows: feed health and the last run, as plain data."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from newsletter.store import FeedState, RunRecord


def feed_health(state: FeedState, now: datetime) -> dict[str, Any]:
    if state.gone:
        health = "gone"
    elif state.consecutive_failures:
        health = "failing"
    elif state.last_success_at is None:
        health = "new"
    else:
        health = "ok"
    waiting = state.next_attempt_at is not None and state.next_attempt_at > now
    return {
        "name": state.name,
        "kind": state.kind,
        "source": state.url or state.path,
        "health": health,
        "last_success": _iso(state.last_success_at),
        "last_attempt": _iso(state.last_attempt_at),
        "last_error": state.last_error,
        "last_warning": state.last_warning,
        "consecutive_failures": state.consecutive_failures,
        "next_attempt": _iso(state.next_attempt_at) if waiting else None,
        "gone": state.gone,
    }


def status_data(
    states: list[FeedState],
    last_run: RunRecord | None,
    entries: dict[str, int],
    now: datetime,
    digest: dict[str, Any] | None = None,
    retired: Sequence[FeedState] = (),
) -> dict[str, Any]:
    """``states``: the feeds of feeds.yaml; ``retired``: those it no longer lists (not
    fetched, their entries kept), listed apart, once (``store.feeds.split_retired``)."""
    return {
        "feeds": [feed_health(state, now) for state in states],
        "retired_feeds": [{"name": s.name, "source": s.url or s.path} for s in retired],
        "entries": entries,
        "digest": digest,
        "last_run": None
        if last_run is None
        else {
            "command": last_run.command,
            "started": _iso(last_run.started_at),
            "finished": _iso(last_run.finished_at),
            "report": last_run.report,
        },
    }


def _iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC, to the second: what `status --json` readers parse."""
    return value.astimezone(UTC).isoformat(timespec="seconds") if value else None


def shown(iso: str | None) -> str | None:
    """An ISO time of :func:`status_data` as a person reads it: 2026-12-01 11:37 UTC."""
    if iso is None:
        return None
    return datetime.fromisoformat(iso).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
