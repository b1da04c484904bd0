"""Write published files atomically, and leave a file alone when its bytes are the same.

A feed reader or a web server never sees half a file (temporary file in the same folder,
fsync, rename), and an unchanged file keeps its modification time, so caches and
``Last-Modified`` stay truthful.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from newsletter.errors import NewsletterError

# Published files are read by the web server, often another user: temporary files are
# created 0600, so set the mode a static file should have.
FILE_MODE = 0o644


class PublishError(NewsletterError):
    """The published files could not be written."""


def ensure_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise PublishError(f"cannot create the folder {folder}: {reason}") from None


# A temporary file older than this was left by a publish that died (killed mid-write);
# a younger one may belong to a publish running right now, and is left alone.
STALE_AFTER = timedelta(minutes=10)


def remove_stale_temporaries(folder: Path, now: datetime) -> int:
    """Delete the ``.NAME.XXXX.tmp`` files a killed publish left in ``folder`` (and below);
    return how many."""
    removed = 0
    for path in folder.rglob(".*.tmp"):
        try:
            written = datetime.fromtimestamp(path.lstat().st_mtime, UTC)
            if path.is_file() and now - written > STALE_AFTER:
                path.unlink()
                removed += 1
        except OSError:
            continue  # gone already (another publish cleaned it), or not ours to remove
    return removed


def same_bytes(path: Path, data: bytes) -> bool:
    try:
        if path.stat().st_size != len(data):
            return False
        return path.read_bytes() == data
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise PublishError(f"cannot read {path}: {exc.strerror or exc}") from None


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` unless it already holds exactly that; True if written."""
    if same_bytes(path, data):
        return False
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _replace_atomically(path, data)
    except OSError as exc:
        raise PublishError(f"cannot write {path}: {exc.strerror or exc}") from None
    return True


def write_if_missing(path: Path, make: Callable[[], bytes]) -> bool:
    """Write what ``make`` gives to ``path`` unless the file exists; True if written. For
    files whose name carries a hash of their content (the pictures' PNGs): one that exists
    is right, so it is neither made nor read again."""
    if path.is_file():
        return False
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _replace_atomically(path, make())
    except OSError as exc:
        raise PublishError(f"cannot write {path}: {exc.strerror or exc}") from None
    return True


def _replace_atomically(path: Path, data: bytes) -> None:
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, FILE_MODE)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _sync_directory(path.parent)


def _sync_directory(folder: Path) -> None:
    # The rename is durable only once the directory entry is on disk (POSIX).
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
