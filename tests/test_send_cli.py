"""`newsletter send` as a person types it: a summary line, exit 1 only when sending paused,
and on SQLite a second sender that steps aside."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from newsletter.progress import SendProgress
from newsletter.store import SqlStore
from newsletter.store.deliveries import DeliveryState
from tests.support.send import Recorder, add_digest, add_subscribers, site

Smtp = tuple[Recorder, str]
Run = Callable[..., Result]
NOW = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)


@pytest.fixture
def newsletter(database_url: str, store: SqlStore, tmp_path: Path, smtp: Smtp) -> Run:
    _, env = site(tmp_path / "site", smtp[1], database_url)

    def run(*args: str) -> Result:
        from newsletter.cli import cli

        config = str(tmp_path / "site" / "feeds.yaml")
        return CliRunner().invoke(cli, ["--config", config, *args], env=env)

    return run


def queued(store: SqlStore, count: int = 3) -> int:
    add_subscribers(store, [f"r{n}@example.org" for n in range(count)])
    digest_id = add_digest(store)
    return digest_id


def test_nothing_to_send_yet(newsletter: Run) -> None:
    result = newsletter("send")
    assert result.exit_code == 0
    assert result.stdout.strip() == "nothing to send: no digest has been built yet"


def test_a_week_without_a_digest_is_an_error(newsletter: Run) -> None:
    result = newsletter("send", "--week", "2099-W01")
    assert result.exit_code == 2
    assert "there is no digest for 2099-W01" in result.output


def test_send_prints_one_summary_line(newsletter: Run, store: SqlStore, smtp: Smtp) -> None:
    queued(store)
    result = newsletter("send", "--workers", "2", "--rate", "500")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"digest 2026-W48 via {smtp[1]}: 3 sent in ")
    assert "in all 3 sent, 0 pending" in result.stdout
    assert "sending digest 2026-W48: 3 due" in result.stderr
    assert len(smtp[0].messages) == 3


def test_a_paused_send_exits_1(newsletter: Run, store: SqlStore, smtp: Smtp) -> None:
    smtp[0].refuse_sender = True
    digest_id = queued(store)
    result = newsletter("send")
    assert result.exit_code == 1
    assert "PAUSED: 553 5.7.1 sender address rejected; nothing is lost" in result.stdout
    assert "newsletter: sending paused" in result.stderr
    assert store.delivery_counts(digest_id)[DeliveryState.PENDING] == 3


def test_a_second_sender_on_sqlite_steps_aside(
    newsletter: Run, store: SqlStore, smtp: Smtp, tmp_path: Path
) -> None:
    if store.dialect != "sqlite":
        pytest.skip("PostgreSQL senders share a digest instead")
    digest_id = queued(store)
    with store.send_lock() as lock:  # the file beside the database
        assert lock.held
        result = newsletter("send")
    assert result.exit_code == 0
    assert "is sending it; nothing to do" in result.stdout
    assert smtp[0].messages == [] and store.delivery_counts(digest_id)[DeliveryState.PENDING] == 3


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_a_progress_bar_and_cron_one_line() -> None:
    terminal = Terminal()
    bar = SendProgress(terminal)
    bar.start(3, "2026-W48")
    for verdict in ("sent", "sent", "retry"):
        bar.advance(verdict)
    bar.stop()
    assert bar.interactive and "sending 2026-W48" in terminal.getvalue()
    assert "3/3" in terminal.getvalue() and "msg/s" in terminal.getvalue()
    log = io.StringIO()
    plain = SendProgress(log)
    plain.start(3, "2026-W48")
    plain.advance("sent")
    plain.stop()
    assert not plain.interactive
    assert log.getvalue().endswith(" sending digest 2026-W48: 3 due\n")
    assert log.getvalue().count("\n") == 1


def test_the_help_states_how_many_messages_a_crash_leaves_in_doubt() -> None:
    from newsletter.cli import cli
    from newsletter.mail.sender import IN_FLIGHT

    # The CLI stays light, so it cannot import the figure: it repeats it.
    result = CliRunner().invoke(cli, ["send", "--help"], terminal_width=200)
    assert f"at most {IN_FLIGHT} per worker" in result.output
    assert f"({IN_FLIGHT} at a time per worker)" in " ".join(result.output.split())
