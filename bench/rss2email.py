"""rss2email 3.14 on the same loopback feeds: the tool newsletter replaces, doing the same job.

``r2e run --no-send`` fetches each feed (conditional requests with the ETag it kept), parses
it and turns every new entry into an email without sending it: the part of rss2email that
collecting does. It runs as its own command, in a temporary config and data folder (``-c``,
``-d``, and the XDG folders, so nothing of the user's is read or locked), first on fresh data
and then again with every feed unchanged (all 304). Times include the command's start
(about 0.2 s). Installed by the ``bench`` extra; when it is missing the rows say so.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from xml.sax.saxutils import quoteattr

from bench.memory import Watcher

VERSION = "3.14"


def command() -> Path:
    return Path(sys.executable).parent / "r2e"


def unavailable() -> str | None:
    """Why rss2email 3.14 cannot be run here (None when it can)."""
    try:
        version = metadata.version("rss2email")
    except metadata.PackageNotFoundError:
        return "rss2email is not installed (pip install -e '.[bench]')"
    if version != VERSION:
        return f"rss2email {version} is installed, the benchmark compares with {VERSION}"
    if not command().exists():
        return f"rss2email is installed but its command {command()} is missing"
    return None


def opml(urls: list[str]) -> str:
    outlines = "".join(
        f"<outline text={quoteattr(f'feed {n}')} xmlUrl={quoteattr(url)}/>"
        for n, url in enumerate(urls)
    )
    return f"<?xml version='1.0'?><opml version='2.0'><head/><body>{outlines}</body></opml>"


def timed(args: list[str], folder: Path) -> tuple[float, float]:
    """Run r2e with ``args`` in ``folder``; (seconds, peak MB)."""
    environ = os.environ | {
        "XDG_CONFIG_HOME": str(folder),
        "XDG_DATA_HOME": str(folder),
        "XDG_RUNTIME_DIR": str(folder),  # its lock file
    }
    paths = ["-c", str(folder / "r2e.cfg"), "-d", str(folder / "r2e.json")]
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(command()), *paths, *args],
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    with Watcher([process.pid], interval=0.05) as watcher:
        _, errors = process.communicate()
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"r2e {' '.join(args)} failed: {errors.decode()[-2000:]}")
    return seconds, watcher.peaks[process.pid]


def seen(folder: Path) -> int:
    """Entries rss2email has recorded as seen, over all feeds."""
    data = json.loads((folder / "r2e.json").read_text())
    return sum(len(feed.get("seen", {})) for feed in data["feeds"])


def measure(urls: list[str]) -> dict[str, float]:
    """First run and unchanged rerun of ``r2e run --no-send`` over ``urls``."""
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        (folder / "feeds.opml").write_text(opml(urls))
        timed(["new", "bench@bench.example"], folder)
        timed(["opmlimport", str(folder / "feeds.opml")], folder)
        first, first_peak = timed(["run", "--no-send"], folder)
        entries = seen(folder)
        rerun, rerun_peak = timed(["run", "--no-send"], folder)
        again = seen(folder)
    assert again == entries, (entries, again)  # unchanged feeds: nothing new
    return {
        "seconds": first,
        "rerun_seconds": rerun,
        "entries": float(entries),
        "peak_mb": max(first_peak, rerun_peak),
    }
