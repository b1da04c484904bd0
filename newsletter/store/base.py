"""The shared base of the SQL store: an engine, one transaction per call, and what every
table family needs alike: database errors as one sentence, the dialect's own INSERT … ON
CONFLICT, and rows made plain values (``record``, ``SqlBase._rows``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from newsletter.errors import StoreError

Value = TypeVar("Value")


class SqlBase:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def close(self) -> None:
        self.engine.dispose()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def _session(self) -> Iterator[Session]:
        """One ORM transaction; database errors become one StoreError sentence."""
        try:
            with self._sessions.begin() as session:
                yield session
        except SQLAlchemyError as exc:
            raise database_error(exc) from None

    def _rows(self, query: Select[Any], make: Callable[[Any], Value]) -> list[Value]:
        """Each row ``query`` selects, made a plain value by ``make`` (usually
        ``partial(record, SomeRecord)``), in one transaction."""
        with self._session() as session:
            return [make(row) for row in session.scalars(query)]

    @contextmanager
    def _core(self) -> Iterator[Connection]:
        """One Core transaction (the sender's hot path: one commit per message); database
        errors become one StoreError sentence."""
        try:
            with self.engine.begin() as connection:
                yield connection
        except SQLAlchemyError as exc:
            raise database_error(exc) from None


def database_error(exc: BaseException, doing: str = "database error") -> StoreError:
    """The one translation of a database error (SQLAlchemy's or a DBAPI driver's) into a
    StoreError: what we were doing, the error's class and the first line of its message.
    The later lines (the SQL, its parameters, a help link) are for a debugger, not for
    the person at the terminal."""
    text = str(exc).strip()
    name = exc.__class__.__name__
    return StoreError(f"{doing}: {name}: {text.splitlines()[0]}" if text else f"{doing}: {name}")


def dialect_insert(dialect: str | Session, table: Any) -> Any:
    """INSERT … ON CONFLICT in the database's own dialect: SQLAlchemy's generic insert()
    has no ON CONFLICT; PostgreSQL's and SQLite's are separate constructs spelled alike.
    ``dialect`` is its name, or a session bound to the database."""
    name = dialect if isinstance(dialect, str) else dialect.get_bind().dialect.name
    # Imported here: SQLAlchemy's PostgreSQL dialect alone costs a third of a second to
    # import, which every command on the embedded SQLite would pay at start.
    if name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(table)


Record = TypeVar("Record")


def record(value_type: type[Record], row: object, /, **given: Any) -> Record:
    """The plain value of an ORM row whose columns carry the value type's field names: what
    crosses the store's boundary, so no ORM object leaves this package. ``given`` fields
    are not read from the row: an enum made of its column's text, a joined table's value."""
    names = (f.name for f in dataclasses.fields(value_type))  # type: ignore[arg-type]
    return value_type(**{name: getattr(row, name) for name in names if name not in given}, **given)
