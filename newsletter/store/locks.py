"""Who may run or send now: the one place that chooses a lock for the database.

The embedded SQLite serves one machine, so a file lock beside the database keeps its
processes apart; ``flock`` dies with its process, however it dies. A PostgreSQL database may
be shared by several machines, so `run` takes an advisory lock, which PostgreSQL frees when the
session's connection ends; its senders share a digest (``SKIP LOCKED``) and take no lock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from newsletter.store.base import SqlBase, database_error
from newsletter.store.filelock import Busy, FileLock


def advisory_key(purpose: str) -> str:
    """The SQL of an advisory lock's key: one key per purpose and schema, so two sites (or
    two test schemas) in one database do not block each other."""
    return f"hashtext('newsletter {purpose} ' || current_database() || '.' || current_schema())"


_KEY = advisory_key("run")


@dataclass(frozen=True)
class Lock:
    held: bool
    holder: str = ""  # who has it when not held: "pid 1234", or "" when unknown


class LocksSql(SqlBase):
    @property
    def shared_by_machines(self) -> bool:
        """True: collectors on several machines share this database's rounds, so `run`
        collects before it takes the run lock (PostgreSQL)."""
        return self.dialect != "sqlite"

    @contextmanager
    def run_lock(self) -> Iterator[Lock]:
        """The lock of `run`'s steps after collecting: one run at a time, on this machine
        (SQLite) or on every machine of the database (PostgreSQL)."""
        if self.dialect == "sqlite":
            with self._file_lock("run") as lock:
                yield lock
            return
        with self._advisory_lock() as lock:
            yield lock

    @contextmanager
    def send_lock(self) -> Iterator[Lock]:
        """One sender at a time on SQLite (one writer); PostgreSQL's senders share."""
        if self.dialect == "sqlite":
            with self._file_lock("send") as lock:
                yield lock
            return
        yield Lock(held=True)

    @contextmanager
    def _file_lock(self, purpose: str) -> Iterator[Lock]:
        # Beside the database file: the lock keeps apart the processes that write it.
        lock = FileLock(Path(self.engine.url.database or ".").parent / f"{purpose}.lock")
        try:
            lock.acquire()
        except Busy as busy:
            yield Lock(held=False, holder=f"pid {busy}")
            return
        try:
            yield Lock(held=True)
        finally:
            lock.release()

    @contextmanager
    def _advisory_lock(self) -> Iterator[Lock]:
        try:
            connection = self.engine.connect()
            held = bool(connection.scalar(text(f"SELECT pg_try_advisory_lock({_KEY})")))
            connection.commit()  # the lock is the session's, not the transaction's
        except SQLAlchemyError as exc:
            raise database_error(exc, "cannot take the run lock") from None
        try:
            yield Lock(held=held)
        finally:
            try:
                if held:
                    connection.execute(text(f"SELECT pg_advisory_unlock({_KEY})"))
                    connection.commit()
            finally:
                connection.close()
