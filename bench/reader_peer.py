"""reader 3.26 (lemon24) on the same loopback feeds: a well-kept feed library doing the job.

``update_feeds()`` fetches every feed (conditional requests with the ETag it kept), parses
and stores its entries in its own SQLite file, first on a fresh database and then again with
every feed unchanged (all 304; ``scheduled=False``, or reader would wait an hour before
asking again, as it schedules its updates), with its default of one worker thread. It runs in
its own process, like ours, and its times include nothing but the two calls (not the
interpreter's start). Installed by the ``bench`` extra (reader needs ``sgmllib3k`` for
feedparser's legacy parser); when missing the rows say so.
"""

from __future__ import annotations

import tempfile
import time
from importlib import metadata
from pathlib import Path

VERSION = "3.26"


def unavailable() -> str | None:
    """Why reader 3.26 cannot be run here (None when it can)."""
    try:
        version = metadata.version("reader")
    except metadata.PackageNotFoundError:
        return "reader is not installed (pip install -e '.[bench]')"
    if version != VERSION:
        return f"reader {version} is installed, the benchmark compares with {VERSION}"
    return None


def measure(urls: list[str]) -> dict[str, float]:
    """First run and unchanged rerun of ``update_feeds()`` over ``urls``."""
    from reader import make_reader

    with tempfile.TemporaryDirectory() as name:
        reader = make_reader(str(Path(name) / "reader.sqlite"))
        for url in urls:
            reader.add_feed(url)
        started = time.perf_counter()
        reader.update_feeds(scheduled=False)
        first = time.perf_counter() - started
        entries = reader.get_entry_counts().total or 0
        started = time.perf_counter()
        reader.update_feeds(scheduled=False)
        rerun = time.perf_counter() - started
        again = reader.get_entry_counts().total or 0
        reader.close()
    assert again == entries, (entries, again)  # unchanged feeds: nothing new
    return {"seconds": first, "rerun_seconds": rerun, "entries": float(entries)}
