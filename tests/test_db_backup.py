"""`newsletter db backup PATH`: SQLite's online backup, while another connection writes."""

from __future__ import annotations

import os
import sqlite3
import stat
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from newsletter.cli import cli
from newsletter.store import SqlStore
from newsletter.store.runs import RunCommand

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_backup_copies_the_database_while_it_is_in_use(
    tmp_path: Path, store: SqlStore, database_url: str
) -> None:
    config = tmp_path / "feeds.yaml"
    config.write_text(
        "site:\n  title: T\n  url: https://t.example/\n"
        "newsletter:\n  from: T <t@t.example>\nfeeds: []\n"
    )
    run_id = store.start_run(RunCommand.COLLECT, NOW)  # a run in progress, its row written
    target = tmp_path / "backups" / "newsletter.sqlite3"
    target.parent.mkdir()
    env = {"NEWSLETTER_DATABASE_URL": database_url}
    umask = os.umask(0o022)  # the usual umask, under which a plain create gives 0644
    try:
        result = CliRunner().invoke(
            cli, ["--config", str(config), "db", "backup", str(target)], env=env
        )
    finally:
        os.umask(umask)
    if store.dialect != "sqlite":
        assert result.exit_code == 2
        assert "back up postgresql with its own tools (for PostgreSQL: pg_dump)" in result.output
        return
    assert result.exit_code == 0, result.output
    assert result.output.startswith("backed up ")
    store.finish_run(run_id, NOW, {})  # the app went on writing meanwhile
    with closing(sqlite3.connect(target)) as copy:
        assert copy.execute("SELECT command FROM runs").fetchall() == [("collect",)]
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600  # addresses and password hashes
    again = CliRunner().invoke(cli, ["--config", str(config), "db", "backup", str(target)], env=env)
    assert again.exit_code == 2
    assert (
        again.output == f"newsletter: {target} already exists; a backup never overwrites a file\n"
    )
    assert sorted(p.name for p in target.parent.iterdir()) == ["newsletter.sqlite3"]
