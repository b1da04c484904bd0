"""On PostgreSQL the run lock is an advisory lock, so runs on several machines never overlap;
it dies with the connection of the process that held it, however that process ends."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from newsletter.store import SqlStore
from newsletter.store.engine import make_engine
from tests.test_cli import newsletter

HOLD = (
    "import sys\n"
    "from newsletter.store import SqlStore\n"
    "from newsletter.store.engine import make_engine\n"
    "store = SqlStore(make_engine(sys.argv[1]))\n"
    "with store.run_lock() as lock:\n"
    "    print(lock.held, flush=True); sys.stdin.read()\n"
)


def _postgres_only(store: SqlStore) -> None:
    if store.dialect != "postgresql":
        pytest.skip("the advisory lock is PostgreSQL's; SQLite keeps the file lock")


def test_on_sqlite_the_run_lock_is_a_file_beside_the_database(store: SqlStore) -> None:
    if store.dialect != "sqlite":
        pytest.skip("the file lock is SQLite's")
    other = SqlStore(store.engine)
    with store.run_lock() as first, other.run_lock() as second:
        assert first.held and not second.held
        assert second.holder == f"pid {os.getpid()}"
    with other.run_lock() as again, store.send_lock() as sending:
        assert again.held and sending.held  # the send lock is another file


def test_a_second_holder_is_refused_until_the_first_lets_go(
    store: SqlStore, database_url: str
) -> None:
    _postgres_only(store)
    other = SqlStore(make_engine(database_url))
    try:
        with store.run_lock() as first, other.run_lock() as second:
            assert (first.held, second.held) == (True, False)
        with other.run_lock() as again:
            assert again.held
    finally:
        other.close()


@pytest.mark.slow
def test_run_exits_0_at_once_while_another_machine_runs_and_the_lock_dies_with_it(
    store: SqlStore, database_url: str, write_config: Callable[[str], Path]
) -> None:
    _postgres_only(store)
    site = write_config("feeds: []\n").parent
    env = {"NEWSLETTER_DATABASE_URL": database_url, "NEWSLETTER_OUTBOX": "outbox"}
    with subprocess.Popen(
        [sys.executable, "-c", HOLD, database_url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as holder:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "True"
        busy = newsletter("run", cwd=site, env=env)
        assert busy.returncode == 0, busy.stderr
        assert "another newsletter run holds this database's lock" in busy.stdout
        holder.kill()  # SIGKILL: nothing of ours runs; PostgreSQL ends its session
        holder.wait()
    _wait_until_the_lock_is_free(store)
    after = newsletter("run", cwd=site, env=env)
    assert after.returncode == 0, after.stderr
    assert "collected 0 feed(s)" in after.stdout


def _wait_until_the_lock_is_free(store: SqlStore) -> None:
    """The server ends a dead client's session when it reads the closed socket: wait for
    that condition (the lock can be taken), not for a time."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with store.run_lock() as lock:
            if lock.held:
                return
        time.sleep(0.05)
    pytest.fail("the lock of a killed process was still held a minute later")
