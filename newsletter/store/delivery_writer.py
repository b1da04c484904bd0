"""The sender's hot path: one commit per batch of messages.

Each commit records the previous batch's results, hands back the rows of that batch that
were never given to a server (the send stopped), and marks the next batch ``sending`` with
their Message-IDs. The sender chooses the batch size (``newsletter.mail.sender.IN_FLIGHT``):
the rows it marks are what a crash can leave in doubt. A commit is a handful of SQL
statements whatever the batch size (the results by executemany, the marks in one UPDATE …
RETURNING), prepared once per writer and run on the DBAPI cursor of a connection the worker
keeps, so a message's share of the commit, which on PostgreSQL includes a WAL flush, shrinks
with the batch. Values go through the same type processing as the rest of the store
(``UTCDateTime``), so the rows are identical.
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

if TYPE_CHECKING:
    from newsletter.store.delivery_states import DeliveryJob, DeliveryResult

StartOutcome = Literal["sending", "skipped", "lost"]
SKIPPED = "the subscriber left after the digest was built"

# 'unknown' too: if a peer gave up on us while we were talking to the server, what the
# server answered (or that nothing was sent) is still the truth about this row.
_OURS = "WHERE id = :id AND claimed_by = :claimer AND state IN ('sending', 'unknown')"
# The statements are put together from constants of this module only; every value is a
# bound parameter.
_RESULT = (
    "UPDATE deliveries SET state = :state, attempts = :attempts, reply = :reply, "  # nosec B608
    "error = :error, next_attempt_at = :next{extra} " + _OURS
)
_HANDED_BACK = _RESULT.format(extra=", claimed_by = NULL, claimed_at = NULL")
SQL = {
    # An attempt's result, by the state the sender decided (deliveries.RESULT_STATES): a
    # retry or a row handed back untouched leaves the sender's hands.
    "sent": _RESULT.format(extra=", sent_at = :now"),
    "failed": _RESULT.format(extra=""),
    "retry": _HANDED_BACK,
    "pending": _HANDED_BACK,
    # Marked but never given to a server: back to pending as it was, attempts and all.
    "unsent": "UPDATE deliveries SET state = 'pending', claimed_by = NULL, claimed_at = NULL "  # nosec B608
    + _OURS,
    "bounce": (
        "UPDATE subscribers SET state = 'bounced', bounced_at = :now "
        "WHERE id = :subscriber AND state IN ('active', 'pending')"
    ),
}
# The marks of a batch, {ids} being its :id0, :id1 … and {message_ids} a CASE giving each
# row its Message-ID. A row whose subscriber is no longer active is not marked but skipped.
# A claim's sign of life, by dialect: on PostgreSQL the database's clock, which every
# machine sharing the digest reads alike (deliveries.DeliveriesSql._stamp).
CLAIM_STAMP = {"sqlite": ":now", "postgresql": "timezone('UTC', clock_timestamp())"}
_START = (
    "UPDATE deliveries SET state = 'sending', claimed_at = {stamp}, "
    "message_id = COALESCE(message_id, CASE id {message_ids} END) "
    "WHERE id IN ({ids}) AND claimed_by = :claimer AND state = 'claimed' AND EXISTS ("
    "SELECT 1 FROM subscribers WHERE subscribers.id = deliveries.subscriber_id "
    "AND subscribers.state = 'active') RETURNING id"
)
_SKIP = (
    "UPDATE deliveries SET state = 'skipped', error = :error "
    "WHERE id IN ({ids}) AND claimed_by = :claimer AND state = 'claimed' RETURNING id"
)


class DeliveryWriter:
    """The batched commits of one sender's worker, on a connection of its own."""

    def __init__(self, engine: Engine, claimer: str, keep: bool = True) -> None:
        dialect = engine.dialect
        self.claimer = claimer
        self._errors: Any = dialect.dbapi.Error if dialect.dbapi else Exception
        self._time: Callable[[Any], Any] = UTCDateTime().bind_processor(dialect) or (lambda v: v)
        self._style = dialect.paramstyle
        self._stamp = CLAIM_STAMP.get(dialect.name, ":now")
        self._sql = {name: _paramstyle(sql, self._style) for name, sql in SQL.items()}
        self._batch_sql: dict[tuple[str, int], str] = {}
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
        """:meth:`mark` for one message (or none)."""
        outcomes = self.mark(finished, [start] if start else [], now)
        return outcomes[0] if outcomes else None

    def mark(
        self,
        finished: Sequence[DeliveryResult],
        starts: Sequence[DeliveryJob],
        now: datetime,
        unsent: Sequence[DeliveryJob] = (),
    ) -> list[StartOutcome]:
        """In one commit: record finished attempts, hand ``unsent`` rows back to pending,
        and mark ``starts`` sending, with their Message-IDs. Returns each start's outcome,
        in order."""
        cursor = self._connection.cursor()
        try:
            self._record(cursor, finished, now)
            if unsent:
                ours = [{"id": job.id, "claimer": self.claimer} for job in unsent]
                cursor.executemany(self._sql["unsent"], ours)
            outcomes = self._start(cursor, starts, now) if starts else []
            self._connection.commit()
            return outcomes
        except self._errors as exc:
            self._connection.rollback()
            raise database_error(exc) from None
        finally:
            cursor.close()

    def close(self) -> None:
        self._connection.close()  # closed for good, or back to the pool if not kept

    def _record(self, cursor: Any, results: Sequence[DeliveryResult], now: datetime) -> None:
        by_state: dict[str, list[dict[str, Any]]] = {}
        for result in results:
            by_state.setdefault(result.state, []).append(self._result_params(result, now))
        for state, params in by_state.items():
            cursor.executemany(self._sql[state], params)
        bounced = [
            {"subscriber": result.subscriber_id, "now": self._time(now)}
            for result in results
            if result.bounced
        ]
        if bounced:
            cursor.executemany(self._sql["bounce"], bounced)

    def _result_params(self, result: DeliveryResult, now: datetime) -> dict[str, Any]:
        return {
            "state": result.state,
            "attempts": result.attempts,
            # An SMTP server's words: no NUL, which PostgreSQL cannot store (bounds.py).
            **fit(Delivery, {"reply": result.reply, "error": result.error}),
            "next": self._time(result.next_attempt_at),
            "now": self._time(now),
            "id": result.id,
            "claimer": self.claimer,
        }

    def _start(self, cursor: Any, jobs: Sequence[DeliveryJob], now: datetime) -> list[StartOutcome]:
        ids = {f"id{n}": job.id for n, job in enumerate(jobs)}
        message_ids = {f"m{n}": job.message_id for n, job in enumerate(jobs)}
        params = {**ids, **message_ids, "now": self._time(now), "claimer": self.claimer}
        marked = _ids(cursor, self._batch("start", len(jobs)), params)
        outcomes: dict[int, StartOutcome] = dict.fromkeys(marked, "sending")
        rest = [job for job in jobs if job.id not in outcomes]
        if rest:
            ids = {f"id{n}": job.id for n, job in enumerate(rest)}
            params = {**ids, "error": SKIPPED, "claimer": self.claimer}
            outcomes |= dict.fromkeys(
                _ids(cursor, self._batch("skip", len(rest)), params), "skipped"
            )
        return [outcomes.get(job.id, "lost") for job in jobs]

    def _batch(self, name: str, size: int) -> str:
        """The start or skip statement for ``size`` rows, built once per size."""
        key = (name, size)
        if key not in self._batch_sql:
            ids = ", ".join(f":id{n}" for n in range(size))
            cases = " ".join(f"WHEN :id{n} THEN :m{n}" for n in range(size))
            template = _START if name == "start" else _SKIP
            sql = template.format(ids=ids, message_ids=cases, stamp=self._stamp)
            self._batch_sql[key] = _paramstyle(sql, self._style)
        return self._batch_sql[key]


def _ids(cursor: Any, sql: str, params: dict[str, Any]) -> set[int]:
    cursor.execute(sql, params)
    return {int(row[0]) for row in cursor.fetchall()}


def _paramstyle(sql: str, style: str) -> str:
    """Our SQL is written with :name parameters (sqlite3 takes them as they are); drivers
    of the pyformat style (psycopg) want %(name)s."""
    if style in ("pyformat", "format"):
        return re.sub(r"(?<![:\w]):(\w+)", r"%(\1)s", sql)
    return sql
