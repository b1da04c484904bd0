"""Engines and migrations: SQLite tuned for a cron job and a web app sharing one file,
PostgreSQL as it comes. Migrations live in ``db/migrations`` (shipped in the wheel)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from newsletter.config.variables import redact_url
from newsletter.errors import ConfigError, SchemaOutdated, StoreError
from newsletter.store.base import database_error

if TYPE_CHECKING:
    from alembic.config import Config

BUSY_TIMEOUT_MS = 30_000


def make_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        shown = redact_url(url)
        raise StoreError(f"NEWSLETTER_DATABASE_URL is not a valid database URL: {shown}") from None
    try:
        if parsed.get_backend_name() == "sqlite":
            return _sqlite_engine(url, parsed.database)
        return create_engine(url, pool_pre_ping=True)
    except NoSuchModuleError:
        raise _driver_error(parsed.drivername) from None
    except ModuleNotFoundError as exc:
        if parsed.drivername in POSTGRES_SPELLINGS:
            raise _driver_error(parsed.drivername) from None
        raise StoreError(
            f"the database driver is not installed ({exc.name}); "
            "for PostgreSQL: pip install 'newsletter-digest[postgresql]'"
        ) from None


POSTGRES_SPELLINGS = ("postgres", "postgresql+psycopg2")


def _driver_error(driver: str) -> ConfigError:
    """A configuration mistake (exit 2) that says what to write instead."""
    if driver in POSTGRES_SPELLINGS:
        return ConfigError(
            f"NEWSLETTER_DATABASE_URL: write postgresql+psycopg://… (psycopg 3), not {driver}://"
        )
    return ConfigError(
        f"NEWSLETTER_DATABASE_URL: no database driver for '{driver}'; write sqlite:///PATH "
        "or postgresql+psycopg://…"
    )


def _sqlite_engine(url: str, database: str | None) -> Engine:
    if database and database != ":memory:":
        folder = Path(database).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            message = f"cannot create the database folder {folder}: {exc.strerror}"
            raise StoreError(message) from None
        _create_private(Path(database))
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _create_private(path: Path) -> None:
    """Create the database file 0600 whatever the umask (it holds subscribers' addresses);
    SQLite gives its -wal and -shm files the same mode. An existing file is left alone."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise StoreError(f"cannot create the database {path}: {exc.strerror}") from None
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


def _sqlite_pragmas(dbapi_connection: Any, _record: object) -> None:
    # WAL lets the web app read while `run` writes; busy_timeout makes writers queue
    # instead of failing with "database is locked".
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def migrations_dir() -> Path:
    """The wheel carries them as newsletter/_migrations; a checkout has db/migrations."""
    packaged = Path(__file__).resolve().parent.parent / "_migrations"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "db" / "migrations"


def _alembic_config() -> Config:
    # Alembic costs a third of a second to import: only a migration loads it.
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    return config


_REVISION = re.compile(r"^(down_)?revision\s*(?::[^=]*)?=\s*['\"]?([\w-]+|None)['\"]?", re.M)


def head_revision() -> str | None:
    """The one revision no other revision follows, read from the versions folder's
    `revision =` and `down_revision =` lines (the same chain Alembic would walk)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (migrations_dir() / "versions").glob("*.py"):
        for down, value in _REVISION.findall(path.read_text(encoding="utf-8")):
            if value != "None":
                (parents if down else revisions).add(value)
    heads = revisions - parents
    if len(heads) > 1:
        from alembic.script import ScriptDirectory  # let Alembic explain a branched history

        return ScriptDirectory.from_config(_alembic_config()).get_current_head()
    return next(iter(heads), None)


def current_revision(engine: Engine) -> str | None:
    """What alembic_version holds (None before the first migration), read without Alembic."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        row = connection.execute(text("SELECT version_num FROM alembic_version")).first()
        return None if row is None else str(row[0])


def upgrade(engine: Engine) -> tuple[str | None, str | None]:
    """Apply every pending migration; return (before, after) revisions."""
    try:
        before = current_revision(engine)
        from alembic import command

        config = _alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
        return before, current_revision(engine)
    except SQLAlchemyError as exc:
        raise database_error(exc, "migrating the database failed") from None


def ensure_schema(engine: Engine, auto_upgrade: bool) -> None:
    """The embedded SQLite default migrates itself; a shared server database is migrated
    on purpose, by `newsletter db upgrade`, so several machines never race to do it."""
    try:
        current = current_revision(engine)
    except SQLAlchemyError as exc:
        raise database_error(exc, "cannot open the database") from None
    head = head_revision()
    if current == head:
        return
    if auto_upgrade:
        upgrade(engine)
        return
    raise SchemaOutdated(
        f"the database schema is at revision {current or 'none'} and this version needs "
        f"{head}; run `newsletter db upgrade`"
    )
