"""The command line: every command exists and is documented; errors are one line."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from newsletter.cli import cli
from newsletter.store.engine import head_revision

ROOT = Path(__file__).parents[1]
WriteConfig = Callable[..., Path]


def all_commands(group: click.Group = cli, prefix: str = "") -> Iterator[tuple[str, click.Command]]:
    for name, command in group.commands.items():
        path = f"{prefix}{name}"
        if isinstance(command, click.Group):
            yield from all_commands(command, path + " ")
        else:
            yield path, command


def newsletter(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("NEWSLETTER_")}
    environ["NEWSLETTER_OUTBOX"] = "outbox"  # no mail server in these tests
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "newsletter", *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_interface_commands_all_exist() -> None:
    names = {name for name, _ in all_commands()}
    interface = {
        "run", "collect", "publish", "digest", "send", "preview", "status", "serve",
        "subscribers add", "subscribers import", "subscribers export", "subscribers list",
        "subscribers remove", "questions add", "questions list", "questions approve",
        "questions reject", "exercises list", "exercises feature", "db upgrade",
    }  # fmt: skip
    assert interface <= names


@pytest.mark.parametrize("name", sorted(name for name, _ in all_commands()))
def test_every_command_has_help_and_is_in_the_readme(name: str) -> None:
    result = CliRunner().invoke(cli, [*name.split(), "--help"])
    assert result.exit_code == 0
    assert len(result.output.split("\n\n")[1].strip()) > 10, "a help text, not just usage"
    readme = (ROOT / "README.md").read_text()
    head, _, rest = name.partition(" ")
    assert re.search(rf"newsletter {re.escape(head)}\b", readme), f"{name} missing in README"
    assert rest in readme


def test_a_failing_command_says_so_in_one_line(write_config: WriteConfig) -> None:
    """A NewsletterError raised inside a command reaches the user as one line, status 1."""
    config = write_config("feeds: []\n")
    env = {"NEWSLETTER_DATABASE_URL": "sqlite:////proc/no/such/dir/x.sqlite3"}
    result = CliRunner().invoke(cli, ["--config", str(config), "status"], env=env)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines == [
        "newsletter: cannot create the database folder /proc/no/such/dir: No such file or directory"
    ]
    assert "Traceback" not in result.output


@pytest.mark.slow
def test_a_config_error_is_one_line_with_exit_status_2(write_config: WriteConfig) -> None:
    path = write_config("feeds:\n  - name: A\n    url: ftp://example.com/feed\n")
    result = newsletter("collect", cwd=path.parent)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert lines[0].startswith(f"newsletter: {path}:8: url must be an http:// or https:// URL")


@pytest.mark.slow
def test_a_usage_error_exits_2(tmp_path: Path) -> None:
    result = newsletter("send", "--workers", "0", cwd=tmp_path)
    assert result.returncode == 2
    assert "Invalid value for '--workers'" in result.stderr


@pytest.mark.slow
def test_a_database_error_is_one_line(write_config: WriteConfig) -> None:
    path = write_config("feeds: []\n")
    env = {"NEWSLETTER_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:9/none"}
    result = newsletter("status", cwd=path.parent, env=env)
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("newsletter: cannot open the database")


@pytest.mark.slow
def test_db_upgrade_then_status_on_an_empty_site(write_config: WriteConfig) -> None:
    path = write_config("feeds: []\n")
    first = newsletter("db", "upgrade", cwd=path.parent)
    assert first.returncode == 0, first.stderr
    head = head_revision()
    assert first.stdout.strip() == f"database migrated from empty to {head}"
    again = newsletter("db", "upgrade", cwd=path.parent)
    assert again.stdout.strip() == f"database already at revision {head}"
    assert (path.parent / "db" / "newsletter.sqlite3").is_file()


@pytest.mark.slow
def test_a_second_run_exits_0_at_once_and_the_lock_dies_with_its_holder(
    write_config: WriteConfig,
) -> None:
    site = write_config("feeds: []\n").parent
    with subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from newsletter.store.filelock import FileLock\n"
            "with FileLock(Path('db/run.lock')):\n"
            "    print('locked', flush=True); sys.stdin.read()",
        ],
        cwd=site,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as holder:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        busy = newsletter("run", cwd=site)
        assert busy.returncode == 0
        assert f"another newsletter run is in progress (pid {holder.pid})" in busy.stdout
        holder.kill()  # SIGKILL: no cleanup code runs, the kernel frees the lock
    after = newsletter("run", cwd=site)
    assert after.returncode == 0, after.stderr
    assert "collected 0 feed(s)" in after.stdout
