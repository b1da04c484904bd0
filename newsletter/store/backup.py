"""`newsletter db backup`: a consistent copy of the SQLite database while the app runs.

Copying the file with cp while a run writes can give a torn copy; SQLite's online backup
API copies page by page under the database's own locks, so readers and writers go on.
A server database has its own tools (pg_dump), which this does not replace.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path

from sqlalchemy.engine import make_url

from newsletter.errors import BadInput, StoreError


def backup_sqlite(database_url: str, target: Path) -> Path:
    """Copy the SQLite database of ``database_url`` to ``target`` (a new file); return
    the source file's path."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database:
        raise BadInput(
            f"db backup copies SQLite databases; back up {url.get_backend_name()} with its own "
            "tools (for PostgreSQL: pg_dump)"
        )
    source = Path(url.database)
    if not source.is_file():
        raise BadInput(f"there is no database at {source} yet; nothing to back up")
    if target.exists():
        raise BadInput(f"{target} already exists; a backup never overwrites a file")
    partial = target.with_name(target.name + ".partial")
    try:
        # The copy holds addresses and console password hashes: readable by its owner only,
        # whatever the umask (sqlite3 would create it 0644 under the usual 022).
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
        os.chmod(partial, 0o600)
        # closing(): a sqlite3 connection's own `with` commits but never closes.
        with (
            closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as db,
            closing(sqlite3.connect(partial)) as copy,
        ):
            db.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal
        partial.replace(target)  # a backup is there whole, or not at all
    except (sqlite3.Error, OSError) as exc:
        partial.unlink(missing_ok=True)
        raise StoreError(f"the backup to {target} failed: {exc}") from None
    return source
