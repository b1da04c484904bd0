"""The run lock of a shared PostgreSQL database: an advisory lock, so that `run`s on several
machines never overlap (the embedded SQLite keeps the file lock of ``newsletter.lock``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from newsletter.store.base import SqlBase, database_error


def advisory_key(purpose: str) -> str:
    """The SQL of an advisory lock's key: one key per purpose and schema, so two sites (or
    two test schemas) in one database do not block each other."""
    return f"hashtext('newsletter {purpose} ' || current_database() || '.' || current_schema())"


_KEY = advisory_key("run")


class RunLockSql(SqlBase):
    """``run_lock()``: held on a connection of its own for the whole run."""

    @contextmanager
    def run_lock(self) -> Iterator[bool]:
        """Yield True with the lock held, False when another process holds it. PostgreSQL
        frees a session's advisory lock when its connection ends, so a run that dies
        (killed, machine lost) never leaves it behind."""
        try:
            connection = self.engine.connect()
            held = bool(connection.scalar(text(f"SELECT pg_try_advisory_lock({_KEY})")))
            connection.commit()  # the lock is the session's, not the transaction's
        except SQLAlchemyError as exc:
            raise database_error(exc, "cannot take the run lock") from None
        try:
            yield held
        finally:
            try:
                if held:
                    connection.execute(text(f"SELECT pg_advisory_unlock({_KEY})"))
                    connection.commit()
            finally:
                connection.close()
