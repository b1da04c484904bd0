"""`newsletter send` as cron runs it, in subprocesses against a loopback SMTP server: killed
with SIGKILL mid-send again and again and then a plain `run`, run twice at once, and (on
PostgreSQL) three at once. Each test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import random
import signal
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from newsletter.mail.journal import FOLDER
from newsletter.store import SqlStore
from newsletter.store.deliveries import DeliveryState
from newsletter.store.models import Delivery
from tests.support.send import (
    Recorder,
    queued,
    run_newsletter,
    site,
)

pytestmark = pytest.mark.slow  # `newsletter send` in subprocesses

Smtp = tuple[Recorder, str]


def finish(process: subprocess.Popen[str]) -> tuple[int, str]:
    out, err = process.communicate(timeout=300)
    return process.returncode, out + err


# The W48 digest's week, after its send time (Monday 07:00): `run` builds nothing new and
# sends it (tests/support/clocked.py sets the command's clock).
SUNDAY = "2026-11-29T12:00:00+00:00"
KILLS = 3


@pytest.mark.parametrize("workers", [1, 3])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sigkills_then_a_plain_run_miss_nobody(
    database_url: str,
    store: SqlStore,
    smtp: Smtp,
    tmp_path: Path,
    seed: int,
    workers: int,
) -> None:
    """Issue 24: k SIGKILLs of a send with W workers, then a plain `newsletter run`: 0
    readers missed, at most k x W duplicates (the messages truly in flight), and the run
    report names how many were re-sent after a crash."""
    recorder, url = smtp
    digest_id, emails = queued(store, 600)
    folder = tmp_path / "site"
    _, env = site(folder, url, database_url)
    # Where each kill lands, in messages the server has received: the seed chooses.
    points = sorted(random.Random(seed).sample(range(20, 480, 10), KILLS))
    for point in points:
        recorder.hold_again(point)  # and answer those held at the last kill
        process = run_newsletter(
            "send", "--workers", str(workers), cwd=folder, env=env, background=True, now=SUNDAY
        )
        # Each worker waits on the answer to one message the server has taken: those are
        # the messages in flight when the kill lands.
        recorder.wait_for(point + workers)
        process.kill()
        code, _ = finish(process)
        assert code == -signal.SIGKILL
    recorder.release()
    run = run_newsletter("run", cwd=folder, env=env, now=SUNDAY)
    assert run.returncode == 0, run.stdout + run.stderr
    received = Counter(recorder.recipients())
    assert set(received) == set(emails), f"missed: {sorted(set(emails) - set(received))}"
    duplicates = sum(received.values()) - len(emails)
    assert duplicates <= KILLS * workers, (duplicates, points)
    # Here every message in flight had reached the server: the count is the duplicates.
    assert store.resent_after_crash(digest_id) == duplicates
    assert f"{workers} re-sent after a crash" in run.stdout, run.stdout
    counts = store.delivery_counts(digest_id)
    assert counts[DeliveryState.SENT] == 600, counts
    assert not list((folder / "db" / FOLDER).glob("*")), "the dead senders' journals are gone"
    status = run_newsletter("status", cwd=folder, env=env, now=SUNDAY)
    assert f"{duplicates} re-sent after a crash" in status.stdout, status.stdout


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
