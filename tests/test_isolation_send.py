"""`send` with due messages and the SMTP server down fails (exit 1), so cron mails the owner
(issue 11); the messages stay queued for the next run."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from newsletter.cli import cli
from newsletter.store import SqlStore
from newsletter.store.deliveries import DeliveryResult, DeliveryState
from newsletter.store.models import Delivery
from tests.support.send import add_digest, add_subscribers, site

NOW = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_send_with_the_server_down_exits_1(
    database_url: str, store: SqlStore, tmp_path: Path
) -> None:
    _, env = site(tmp_path / "site", f"smtp://127.0.0.1:{closed_port()}", database_url)
    add_subscribers(store, ["ann@example.org"])
    digest_id = add_digest(store)
    config = str(tmp_path / "site" / "feeds.yaml")
    result = CliRunner().invoke(cli, ["--config", config, "send"], env=env)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "nothing was delivered" in result.output
    counts = store.delivery_counts(digest_id)
    assert counts[DeliveryState.SENT] == 0 and sum(counts.values()) == 1, counts


def test_an_smtp_reply_with_a_nul_is_stored_on_both_databases(store: SqlStore) -> None:
    add_subscribers(store, ["ann@example.org"])
    digest_id = add_digest(store)
    [job] = store.claim_deliveries(digest_id, "me", NOW, 1, "<d.{}.n@example.com>".format)
    refused = DeliveryResult(
        job.id, job.subscriber_id, DeliveryState.FAILED, 1, reply="550 no\x00 such user"
    )
    writer = store.open_delivery_writer("me")
    try:
        assert writer.advance([], job, NOW) == "sending"
        writer.advance([refused], None, NOW)
    finally:
        writer.close()
    with store.engine.connect() as connection:
        reply = connection.scalar(select(Delivery.reply))
    assert reply == "550 no such user"
