"""`newsletter send` as cron runs it, in subprocesses against a loopback SMTP server: killed
with SIGKILL mid-send and rerun, run twice at once, and (on PostgreSQL) three at once.
Each test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import signal
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from newsletter.mail.sender import IN_FLIGHT
from newsletter.store import SqlStore
from newsletter.store.deliveries import DeliveryState
from newsletter.store.models import Delivery, Subscriber
from tests.support.send import (
    Recorder,
    queued,
    run_newsletter,
    site,
)

pytestmark = pytest.mark.slow  # `newsletter send` in subprocesses

Smtp = tuple[Recorder, str]


def addresses_in(store: SqlStore, digest_id: int, state: str) -> set[str]:
    with store.engine.connect() as connection:
        rows = connection.execute(
            select(Subscriber.email)
            .join(Delivery, Delivery.subscriber_id == Subscriber.id)
            .where(Delivery.digest_id == digest_id, Delivery.state == state)
        )
        return {email for (email,) in rows}


def finish(process: subprocess.Popen[str]) -> tuple[int, str]:
    out, err = process.communicate(timeout=300)
    return process.returncode, out + err


def test_sigkill_mid_send_then_rerun_misses_nobody(
    database_url: str, store: SqlStore, smtp: Smtp, tmp_path: Path
) -> None:
    recorder, url = smtp
    workers = 3
    digest_id, emails = queued(store, 60)
    _, env = site(tmp_path / "site", url, database_url)
    recorder.hold_after = 15  # the kill lands mid-send, with messages in flight
    process = run_newsletter(
        "send", "--workers", str(workers), cwd=tmp_path / "site", env=env, background=True
    )
    recorder.wait_for(16)
    process.kill()
    code, _ = finish(process)
    assert code == -9
    counts = store.delivery_counts(digest_id)
    in_doubt = workers * IN_FLIGHT
    assert counts[DeliveryState.SENDING] <= in_doubt, "at most one batch in doubt per worker"
    recorder.release()

    rerun = run_newsletter("send", cwd=tmp_path / "site", env=env)
    assert rerun.returncode == 0, rerun.stderr
    counts = store.delivery_counts(digest_id)
    assert (
        counts[DeliveryState.SENDING]
        == counts[DeliveryState.CLAIMED]
        == counts[DeliveryState.PENDING]
        == 0
    )
    assert (
        counts[DeliveryState.UNKNOWN] <= in_doubt
        and counts[DeliveryState.SENT] + counts[DeliveryState.UNKNOWN] == 60
    )
    received = Counter(recorder.recipients())
    assert max(received.values()) == 1, "no message went twice"
    missing = set(emails) - set(received)
    assert missing <= addresses_in(store, digest_id, "unknown"), "only doubtful ones are missing"
    if counts[DeliveryState.UNKNOWN]:
        assert "unknown" in rerun.stdout and "--retry-unknown" in rerun.stdout

    final = run_newsletter("send", "--retry-unknown", cwd=tmp_path / "site", env=env)
    assert final.returncode == 0, final.stderr
    received = Counter(recorder.recipients())
    assert set(received) == set(emails), "nobody missed"
    duplicates = sum(received.values()) - len(emails)
    assert duplicates <= in_doubt, "duplicates: at most those in doubt"
    assert store.delivery_counts(digest_id)[DeliveryState.SENT] == 60


def test_two_sends_at_once_send_each_message_once(
    database_url: str, store: SqlStore, smtp: Smtp, tmp_path: Path
) -> None:
    recorder, url = smtp
    digest_id, emails = queued(store, 200)
    _, env = site(tmp_path / "site", url, database_url)
    recorder.delay = 0.002
    processes = [
        run_newsletter("send", "--workers", "2", cwd=tmp_path / "site", env=env, background=True)
        for _ in range(2)
    ]
    results = [finish(process) for process in processes]
    assert [code for code, _ in results] == [0, 0], results
    received = Counter(recorder.recipients())
    assert set(received) == set(emails) and max(received.values()) == 1
    assert store.delivery_counts(digest_id)[DeliveryState.SENT] == 200


def test_three_senders_share_a_digest_on_postgresql(
    database_url: str, store: SqlStore, smtp: Smtp, tmp_path: Path
) -> None:
    if store.dialect != "postgresql":
        pytest.skip("on SQLite one sender at a time holds the digest (no SKIP LOCKED)")
    recorder, url = smtp
    digest_id, emails = queued(store, 600)
    _, env = site(tmp_path / "site", url, database_url)
    recorder.hold_after = 0
    processes = [
        run_newsletter("send", "--workers", "2", cwd=tmp_path / "site", env=env, background=True)
        for _ in range(3)
    ]
    # Each worker waits for its answer, so three messages held at once come from at least
    # two of the processes, however late a busy machine starts the others.
    recorder.wait_for(3)
    recorder.release()
    results = [finish(process) for process in processes]
    assert [code for code, _ in results] == [0, 0, 0], results
    received = Counter(recorder.recipients())
    assert set(received) == set(emails), "nobody missed"
    assert max(received.values()) == 1, "nobody twice"
    with store.engine.connect() as connection:
        senders = connection.execute(
            select(Delivery.claimed_by).where(Delivery.digest_id == digest_id).distinct()
        ).all()
    assert len(senders) >= 2, "the processes shared the digest"


def test_sigterm_mid_send_finishes_the_messages_in_flight(
    database_url: str, store: SqlStore, smtp: Smtp, tmp_path: Path
) -> None:
    recorder, url = smtp
    digest_id, emails = queued(store, 60)
    _, env = site(tmp_path / "site", url, database_url)
    recorder.hold_after = 10  # the signal lands mid-send, with messages in flight
    process = run_newsletter(
        "send", "--workers", "3", cwd=tmp_path / "site", env=env, background=True
    )
    recorder.wait_for(11)
    process.send_signal(signal.SIGTERM)
    recorder.delay = 0.05  # the rest slowly, so the signal is seen before the end
    recorder.release()
    code, output = finish(process)
    assert code == 1 and "PAUSED: interrupted" in output, output
    counts = store.delivery_counts(digest_id)
    assert (
        counts[DeliveryState.SENDING]
        == counts[DeliveryState.CLAIMED]
        == counts[DeliveryState.UNKNOWN]
        == 0
    ), (counts, output)
    assert (
        counts[DeliveryState.SENT] == len(recorder.messages)
        and counts[DeliveryState.PENDING] == 60 - counts[DeliveryState.SENT]
    )
    recorder.delay = 0
    rerun = run_newsletter("send", cwd=tmp_path / "site", env=env)
    assert rerun.returncode == 0, rerun.stderr
    received = Counter(recorder.recipients())
    assert set(received) == set(emails) and max(received.values()) == 1
