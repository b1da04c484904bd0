"""The sender's hot path: one commit per message.

Each message costs one transaction (the previous message's result and the next one's
``sending`` mark), so its overhead is most of what sending costs besides SMTP itself. Here
that transaction is a few SQL statements, prepared once per writer, run on the DBAPI
cursor of a connection the worker keeps: about 30 µs on SQLite where building and
executing them through SQLAlchemy, with a pool checkout per commit, took 140 µs. Values go
through the same type processing as the rest of the store (``UTCDateTime``), so the rows
are identical.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import Engine

from newsletter.store.base import database_error
from newsletter.store.bounds import fit
from newsletter.store.models import Delivery, UTCDateTime

if TYPE_CHECKING:  # deliveries.py imports this module
    from newsletter.store.deliveries import DeliveryJob, DeliveryResult

StartOutcome = Literal["sending", "skipped", "lost"]
SKIPPED = "the subscriber left after the digest was built"

_RESULT = (
    "UPDATE deliveries SET state = :state, attempts = :attempts, reply = :reply, "
    "error = :error, next_attempt_at = :next{extra} "
    # 'unknown' too: if a peer gave up on us while we were talking to the server, what the
    # server answered is still the truth about this row.
    "WHERE id = :id AND claimed_by = :claimer AND state IN ('sending', 'unknown')"
)
_HANDED_BACK = _RESULT.format(extra=", claimed_by = NULL, claimed_at = NULL")
SQL = {
    # An attempt's result, by the state the sender decided (deliveries.RESULT_STATES): a
    # retry or a row handed back untouched leaves the sender's hands.
    "sent": _RESULT.format(extra=", sent_at = :now"),
    "failed": _RESULT.format(extra=""),
    "retry": _HANDED_BACK,
    "pending": _HANDED_BACK,
    "bounce": (
        "UPDATE subscribers SET state = 'bounced', bounced_at = :now "
        "WHERE id = :subscriber AND state IN ('active', 'pending')"
    ),
    "start": (
        "UPDATE deliveries SET state = 'sending', claimed_at = :now, "
        "message_id = COALESCE(message_id, :message_id) "
        "WHERE id = :id AND claimed_by = :claimer AND state = 'claimed' AND EXISTS ("
        "SELECT 1 FROM subscribers WHERE subscribers.id = deliveries.subscriber_id "
        "AND subscribers.state = 'active')"
    ),
    "skip": (
        "UPDATE deliveries SET state = 'skipped', error = :error "
        "WHERE id = :id AND claimed_by = :claimer AND state = 'claimed'"
    ),
}


class DeliveryWriter:
    """The per-message commits of one sender's worker, on a connection of its own."""

    def __init__(self, engine: Engine, claimer: str, keep: bool = True) -> None:
        dialect = engine.dialect
        self.claimer = claimer
        self._errors: Any = dialect.dbapi.Error if dialect.dbapi else Exception
        self._time: Callable[[Any], Any] = UTCDateTime().bind_processor(dialect) or (lambda v: v)
        style = dialect.paramstyle
        self._sql = {name: _paramstyle(sql, style) for name, sql in SQL.items()}
        try:
            # Made by the pool (so set up like every other connection: SQLite pragmas),
            # then, for a worker that keeps it, detached from it: a worker's connection
            # never counts against the pool, so any number of workers leave the pool to
            # the claims and the heartbeat.
            self._connection = engine.raw_connection()
            if keep:
                self._connection.detach()
        except Exception as exc:
            raise database_error(exc) from None

    def advance(
        self, finished: Sequence[DeliveryResult], start: DeliveryJob | None, now: datetime
    ) -> StartOutcome | None:
        """Record finished attempts and mark ``start`` sending, with its Message-ID, in one
        commit."""
        cursor = self._connection.cursor()
        try:
            for result in finished:
                self._record(cursor, result, now)
            outcome = None if start is None else self._start(cursor, start, now)
            self._connection.commit()
            return outcome
        except self._errors as exc:
            self._connection.rollback()
            raise database_error(exc) from None
        finally:
            cursor.close()

    def close(self) -> None:
        self._connection.close()  # closed for good, or back to the pool if not kept

    def _record(self, cursor: Any, result: DeliveryResult, now: datetime) -> None:
        cursor.execute(
            self._sql[result.state],
            {
                "state": result.state,
                "attempts": result.attempts,
                # An SMTP server's words: no NUL, which PostgreSQL cannot store (bounds.py).
                **fit(Delivery, {"reply": result.reply, "error": result.error}),
                "next": self._time(result.next_attempt_at),
                "now": self._time(now),
                "id": result.id,
                "claimer": self.claimer,
            },
        )
        if result.bounced:
            params = {"subscriber": result.subscriber_id, "now": self._time(now)}
            cursor.execute(self._sql["bounce"], params)

    def _start(self, cursor: Any, job: DeliveryJob, now: datetime) -> StartOutcome:
        ours = {"id": job.id, "claimer": self.claimer}
        values = {"now": self._time(now), "message_id": job.message_id}
        cursor.execute(self._sql["start"], {**ours, **values})
        if cursor.rowcount == 1:
            return "sending"
        cursor.execute(self._sql["skip"], {**ours, "error": SKIPPED})
        return "skipped" if cursor.rowcount == 1 else "lost"


def _paramstyle(sql: str, style: str) -> str:
    """Our SQL is written with :name parameters (sqlite3 takes them as they are); drivers
    of the pyformat style (psycopg) want %(name)s."""
    if style in ("pyformat", "format"):
        return re.sub(r"(?<![:\w]):(\w+)", r"%(\1)s", sql)
    return sql
