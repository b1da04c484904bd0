"""What the owner sees of the fediverse account (the console, `status`), in SQL: the newest
followers, the servers whose deliveries wait for a retry, and the deliveries given up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from urllib.parse import urlsplit

from sqlalchemy import func, select

from newsletter.store.base import SqlBase, record
from newsletter.store.fediverse import FediState
from newsletter.store.models import FediverseActivity, FediverseDelivery, FediverseFollower

SERVERS_READ = 5000  # inboxes read to find the servers in trouble (one row per inbox)


@dataclass(frozen=True)
class FollowerRecord:
    actor: str
    inbox: str
    shared_inbox: str | None
    followed_at: datetime


@dataclass(frozen=True)
class ServerTrouble:
    """A server whose deliveries wait for a retry."""

    server: str  # scheme and host: https://social.example
    waiting: int  # deliveries waiting for it
    attempts: int  # the most tries of one of them
    next_attempt_at: datetime
    error: str | None  # why the last try failed, as recorded


@dataclass(frozen=True)
class Failure:
    """A delivery given up: the inbox refused it for good, or was dropped."""

    inbox: str
    activity: str  # the activity's type
    status: int | None
    error: str | None
    created_at: datetime


class FediverseHealthSql(SqlBase):
    """The followers and the ledger as the owner reads them."""

    def recent_followers(self, limit: int) -> list[FollowerRecord]:
        """The ``limit`` newest followers, newest first."""
        query = (
            select(FediverseFollower)
            .order_by(FediverseFollower.followed_at.desc(), FediverseFollower.id.desc())
            .limit(limit)
        )
        return self._rows(query, partial(record, FollowerRecord))

    def troubled_servers(self, limit: int) -> list[ServerTrouble]:
        """The servers with deliveries waiting for a retry (tried at least once), most
        waiting first. Grouped by inbox in SQL, then by server here: a server without a
        shared inbox has one inbox per follower."""
        query = (
            select(
                FediverseDelivery.inbox,
                func.count(),
                func.max(FediverseDelivery.attempts),
                func.min(FediverseDelivery.next_attempt_at),
                func.max(FediverseDelivery.error),
            )
            .where(FediverseDelivery.state == FediState.PENDING, FediverseDelivery.attempts > 0)
            .group_by(FediverseDelivery.inbox)
            .order_by(func.count().desc())
            .limit(SERVERS_READ)
        )
        servers: dict[str, ServerTrouble] = {}
        with self._session() as session:
            for inbox, waiting, attempts, next_at, error in session.execute(query):
                parts = urlsplit(inbox)
                server = f"{parts.scheme}://{parts.netloc}"
                seen = servers.get(server)
                if seen is not None:
                    waiting += seen.waiting
                    attempts = max(attempts, seen.attempts)
                    next_at = min(next_at, seen.next_attempt_at)
                    error = seen.error or error
                servers[server] = ServerTrouble(server, int(waiting), int(attempts), next_at, error)
        ranked = sorted(servers.values(), key=lambda s: (-s.waiting, s.server))
        return ranked[:limit]

    def recent_failures(self, limit: int) -> list[Failure]:
        """The ``limit`` deliveries given up last, newest first."""
        query = (
            select(
                FediverseDelivery.inbox,
                FediverseActivity.type,
                FediverseDelivery.status,
                FediverseDelivery.error,
                FediverseDelivery.created_at,
            )
            .join(FediverseActivity, FediverseActivity.id == FediverseDelivery.activity_id)
            .where(FediverseDelivery.state == FediState.FAILED)
            .order_by(FediverseDelivery.id.desc())
            .limit(limit)
        )
        with self._session() as session:
            return [Failure(*row) for row in session.execute(query)]
