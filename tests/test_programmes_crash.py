"""Programme steps as cron sends them, in subprocesses of `newsletter run` against a loopback
SMTP server: killed with SIGKILL mid-send, then a plain run. Each reader gets the step due
today once: nobody missed, no step queued twice, and a message the server had taken when
the kill landed goes again with the same Message-ID, counted (SQLite and PostgreSQL)."""

from __future__ import annotations

import random
import signal
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, update

from newsletter.store import SqlStore
from newsletter.store.deliveries import DeliveryState
from newsletter.store.models import Delivery, Enrolment
from tests.support.send import Recorder, add_digest, add_subscribers, run_newsletter, site

pytestmark = pytest.mark.slow  # `newsletter run` in subprocesses

Smtp = tuple[Recorder, str]
TUESDAY = "2026-12-08T08:00:00+00:00"  # the day after the W50 digest, past the send hour
JOINED = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
READERS = 220
KILLS = 2


def enrol_spread(store: SqlStore, emails: list[str]) -> dict[str, int]:
    """Every reader in the shipped programme, due today, at steps 1 to 11 in turn: today's
    run has eleven mailings to send. Returns the step each reader is due."""
    due = {}
    for n, email in enumerate(emails):
        found = store.subscriber(email)
        assert found is not None
        store.enrol(found.id, "stronger-feet", "2026-12-08", JOINED, restart=False)
        due[email] = n % 11 + 1
    with store.engine.begin() as connection:
        for email, step in due.items():
            found = store.subscriber(email)
            assert found is not None
            connection.execute(
                update(Enrolment)
                .where(Enrolment.subscriber_id == found.id)
                .values(steps_sent=step - 1)
            )
    return due


def programme_messages(recorder: Recorder) -> dict[str, list[str]]:
    """Each reader's programme messages (by Message-ID), in the order they arrived."""
    got: dict[str, list[str]] = defaultdict(list)
    for received in recorder.messages:
        message_id = str(received.message["Message-ID"])
        if message_id.startswith("<programme-"):
            got[received.rcpt_tos[0]].append(message_id)
    return got


@pytest.mark.parametrize("seed", [1, 2])
def test_sigkill_mid_run_then_a_plain_run(
    database_url: str, store: SqlStore, smtp: Smtp, tmp_path: Path, seed: int
) -> None:
    recorder, url = smtp
    emails = [f"r{n:04}@example.org" for n in range(READERS)]
    add_subscribers(store, emails)
    digest_id = add_digest(store, week="2026-W50")  # Monday's, sent: today is for steps
    with store.engine.begin() as connection:
        connection.execute(
            update(Delivery).where(Delivery.digest_id == digest_id).values(state="sent")
        )
    due = enrol_spread(store, emails)
    folder = tmp_path / "site"
    _, env = site(folder, url, database_url)
    points = sorted(random.Random(seed).sample(range(15, READERS - 20, 5), KILLS))
    for point in points:
        recorder.hold_again(point)
        process = run_newsletter("run", cwd=folder, env=env, background=True, now=TUESDAY)
        recorder.wait_for(point + 1)  # one message taken, its answer held: in flight
        process.kill()
        process.communicate(timeout=300)
        assert process.returncode == -signal.SIGKILL
    recorder.release()
    run = run_newsletter("run", cwd=folder, env=env, now=TUESDAY)
    assert run.returncode == 0, run.stdout + run.stderr
    got = programme_messages(recorder)
    assert set(got) == set(emails), f"missed: {sorted(set(emails) - set(got))}"
    assert all(len(set(ids)) == 1 for ids in got.values()), "one step each, one Message-ID"
    duplicates = sum(len(ids) for ids in got.values()) - READERS
    assert duplicates <= KILLS, (duplicates, points)
    steps = Counter(
        str(received.message["Subject"]).split(":")[0]
        for received in recorder.messages
        if str(received.message["Message-ID"]).startswith("<programme-")
    )
    assert len(steps) == 11, steps
    counts = store.programme_counts("stronger-feet")
    assert counts.at_step == {s: 20 for s in range(1, 11)} and counts.finished == 20, counts
    again = run_newsletter("run", cwd=folder, env=env, now=TUESDAY)
    assert (
        again.returncode == 0
        and sum(len(ids) for ids in programme_messages(recorder).values()) == READERS + duplicates
    )
    query = select(Delivery.state).where(Delivery.mailing_id.is_not(None))
    with store.engine.connect() as connection:
        states = Counter(connection.scalars(query))
    assert states == {DeliveryState.SENT.value: READERS}, states
    assert due  # every reader was due a step
