"""The senders' heartbeat (renewing their claims) never deadlocks with their own workers.

Each worker commits two rows at once (the message sent, the next one marked sending); the
heartbeat renews every row its process holds. Taking the rows in a different order, the two
deadlocked on PostgreSQL and PostgreSQL killed the send (seen in bench/scale_pg at 150,000
subscribers, once a send outlasted the 60 s heartbeat). Here the heartbeat is hammered from
another thread while two workers send, so a deadlock would show within the test.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from newsletter.mail import SendOptions, send_digest
from newsletter.store import SqlStore
from newsletter.store.deliveries import HELD
from newsletter.store.models import Delivery
from tests.support.send import Recorder, queued, site

NOW = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)


def test_heartbeats_during_a_send_never_deadlock(
    database_url: str, store: SqlStore, smtp: tuple[Recorder, str], tmp_path: Path
) -> None:
    if store.dialect != "postgresql":
        pytest.skip("SQLite has one writer at a time: nothing to deadlock")
    recorder, url = smtp
    digest_id, emails = queued(store, 400)
    settings, _ = site(tmp_path / "site", url, store.engine.url.render_as_string(False))
    stop, renewals, errors = threading.Event(), [0], []

    def heartbeat() -> None:
        held = select(Delivery.claimed_by).where(
            Delivery.digest_id == digest_id, Delivery.state.in_(HELD)
        )
        while not stop.is_set():
            try:
                with store.engine.connect() as connection:
                    claimers = set(connection.scalars(held.distinct()))
                for claimer in claimers:
                    renewals[0] += store.renew_claims(digest_id, str(claimer), NOW)
            except Exception as exc:  # a deadlock here is the failure we look for
                errors.append(exc)
                return

    thread = threading.Thread(target=heartbeat)
    thread.start()
    try:
        report = send_digest(settings, store, lambda: NOW, SendOptions(workers=2))
    finally:
        stop.set()
        thread.join()
    assert errors == []
    assert renewals[0] > 0, "the heartbeat ran while rows were held"
    assert report.paused is None, report.summary()
    received = Counter(recorder.recipients())
    assert set(received) == set(emails) and max(received.values()) == 1
