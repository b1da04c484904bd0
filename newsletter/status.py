"""What `newsletter status` shows: feed health, the last run, the fediverse account and
where the readers of each programme are, as plain data."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from newsletter.store import FeedState, RunRecord, SqlStore
from newsletter.store.fediverse import FediBacklog
from newsletter.store.fediverse_health import Failure, FollowerRecord, ServerTrouble
from newsletter.store.fediverse_replies import ReplyRecord
from newsletter.store.programmes import ProgrammeCounts


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


RECENT = 20  # followers, replies, servers and failures listed


@dataclass(frozen=True)
class FederationStatus:
    """What the store says of the fediverse account, for :func:`fediverse_data`."""

    backlog: FediBacklog
    followers: Sequence[FollowerRecord]  # the newest
    replies: Sequence[ReplyRecord]  # the newest
    servers: Sequence[ServerTrouble]  # those whose deliveries wait for a retry
    failures: Sequence[Failure]  # the newest given up


def federation(store: SqlStore, now: datetime, recent: int = RECENT) -> FederationStatus:
    """What the store says of the fediverse account: ``recent`` of each list."""
    return FederationStatus(
        backlog=store.fedi_backlog(now),
        followers=store.recent_followers(recent),
        replies=store.recent_replies(recent),
        servers=store.troubled_servers(recent),
        failures=store.recent_failures(recent),
    )


def fediverse_data(found: FederationStatus, now: datetime) -> dict[str, Any]:
    """Followers, recent replies and delivery health, as `status --json` shows them."""
    backlog = found.backlog
    return {
        "followers": backlog.followers,
        "newest_followers": [
            {"actor": f.actor, "since": _iso(f.followed_at)} for f in found.followers
        ],
        "replies": [
            {
                "question": r.entry_id,
                "title": r.title,
                "status": r.status.value,
                "from": r.handle or r.actor,
                "received": _iso(r.received_at),
                "in_reply_to": r.in_reply_to,
            }
            for r in found.replies
        ],
        "deliveries": {
            "health": backlog.health(now),
            "due": backlog.due,
            "oldest_due": _iso(backlog.oldest_due),
            "retrying": backlog.retrying,
            "sending": backlog.sending,
            "failed": backlog.failed,
        },
        "servers_retrying": [
            {
                "server": s.server,
                "waiting": s.waiting,
                "attempts": s.attempts,
                "next_attempt": _iso(s.next_attempt_at),
                "last_error": s.error,
            }
            for s in found.servers
        ],
        "recent_failures": [
            {"inbox": f.inbox, "activity": f.activity, "status": f.status, "error": f.error}
            for f in found.failures
        ],
    }


def programme_data(title: str, steps: int, counts: ProgrammeCounts) -> dict[str, Any]:
    """Where the readers of a programme of ``steps`` steps are, as `status --json` shows
    it: ``at_step[n]`` readers in it who have had n steps (0: joined, the first to come)."""
    return {
        "key": counts.programme,
        "title": title,
        "steps": steps,
        "at_step": [counts.at_step.get(n, 0) for n in range(steps)],
        "paused": counts.paused,
        "finished": counts.finished,
        "left": counts.left,
    }


def programme_line(data: dict[str, Any]) -> str:
    """One line of `status` for a programme of :func:`programme_data`."""
    at = [(n, readers) for n, readers in enumerate(data["at_step"]) if readers]
    if not at and not (data["paused"] or data["finished"] or data["left"]):
        return f"programme {data['key']}: nobody has joined yet"
    where = ", ".join(f"{n}: {readers}" for n, readers in at)
    in_it = f"{sum(r for _n, r in at)} in it" + (f" (by steps had: {where})" if at else "")
    return (
        f"programme {data['key']}: {in_it}, {data['paused']} paused, "
        f"{data['finished']} finished, {data['left']} left"
    )


def _iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC, to the second: what `status --json` readers parse."""
    return value.astimezone(UTC).isoformat(timespec="seconds") if value else None


def shown(iso: str | None) -> str | None:
    """An ISO time of :func:`status_data` as a person reads it: 2026-12-01 11:37 UTC."""
    if iso is None:
        return None
    return datetime.fromisoformat(iso).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
