"""The acceptance test of the bounce mailbox: a real Dovecot on loopback, bounces of
fifteen MTA formats, an ARF complaint, an auto-reply, a mailto unsubscribe and a message
nobody can classify; `newsletter bounces fetch` as a real subprocess, killed half way."""

from __future__ import annotations

import os
import signal
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from newsletter.config import Settings
from newsletter.mail.bounces.process import fetch_bounces
from newsletter.run import run_all
from newsletter.store import SqlStore
from newsletter.store.models import BounceEvent, BounceStreak
from tests.support.bounces import bounce_site, mailbox_of_week
from tests.support.dovecot import Dovecot
from tests.support.send import run_newsletter

pytestmark = pytest.mark.slow
TOTAL = 19  # 15 MTA formats + complaint + auto-reply + mailto unsubscribe + unclassified


def site_with_mailbox(
    tmp_path: Path, database_url: str, server: Dovecot
) -> tuple[Settings, dict[str, str]]:
    return bounce_site(
        tmp_path / "site",
        database_url,
        NEWSLETTER_BOUNCE_IMAP_URL=server.url(),
        SSL_CERT_FILE=str(server.cert),
    )


def states(store: SqlStore, addresses: dict[str, str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for address in addresses:
        subscriber = store.subscriber(address.lower())
        assert subscriber is not None
        found[address] = subscriber.state
    return found


def events(store: SqlStore) -> list[str]:
    with store.engine.connect() as connection:
        return list(connection.scalars(select(BounceEvent.message_key)))


def test_fetch_acts_on_every_report_once(
    store: SqlStore,
    database_url: str,
    dovecot: Dovecot,
    tmp_path: Path,
) -> None:
    settings, env = site_with_mailbox(tmp_path, database_url, dovecot)
    messages, expected = mailbox_of_week(settings, store)
    dovecot.append(messages)
    root = tmp_path / "site"

    done = run_newsletter("bounces", "fetch", cwd=root, env=env)
    assert done.returncode == 0, done.stderr
    assert f"{TOTAL} read: 13 hard, 2 soft, 1 complaint, 1 unsubscribe, 1 auto-reply, " \
        "1 unclassified" in done.stdout  # fmt: skip
    assert "digest 2026-W48: 19 sent, 11 hard and 2 soft bounces, 1 complaints (5.26%, OVER" \
        in done.stdout  # fmt: skip
    assert states(store, expected) == expected
    assert dovecot.uids("INBOX") == []
    processed = dovecot.uids("Processed")
    assert len(processed) == TOTAL and all("\\Seen" in flags for flags in processed)
    assert len(events(store)) == TOTAL

    again = run_newsletter("bounces", "fetch", cwd=root, env=env)
    assert again.returncode == 0, again.stderr
    assert "0 read" in again.stdout
    dovecot.append(messages)  # as if every move had been lost: each key is known
    third = run_newsletter("bounces", "fetch", cwd=root, env=env)
    assert f"{TOTAL} read ({TOTAL} done before)" in third.stdout, third.stdout
    assert states(store, expected) == expected
    assert len(events(store)) == TOTAL


def test_a_fetch_killed_half_way_then_rerun_acts_on_each_message_exactly_once(
    store: SqlStore,
    database_url: str,
    dovecot: Dovecot,
    tmp_path: Path,
) -> None:
    settings, env = site_with_mailbox(tmp_path, database_url, dovecot)
    messages, expected = mailbox_of_week(settings, store)
    dovecot.append(messages)
    root = tmp_path / "site"

    held = {**env, "NEWSLETTER_TEST_BOUNCES_HOLD_AFTER": "8"}
    process = run_newsletter("bounces", "fetch", cwd=root, env=held, background=True)
    try:
        line = process.stderr.readline()  # written after the 8th commit, before its move
        assert line.strip() == "held after 8", line + process.stderr.read()
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        process.stdout.close()
        process.stderr.close()
    assert process.returncode == -signal.SIGKILL
    assert len(events(store)) == 8, "eight committed"
    assert len(dovecot.uids("Processed")) == 7, "the eighth was committed, never moved"
    assert len(dovecot.uids("INBOX")) == TOTAL - 7

    rerun = run_newsletter("bounces", "fetch", cwd=root, env=env)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{TOTAL - 7} read (1 done before)" in rerun.stdout, rerun.stdout
    keys = events(store)
    assert len(keys) == len(set(keys)) == TOTAL
    assert states(store, expected) == expected
    with store.engine.connect() as connection:
        streaks = connection.execute(select(BounceStreak.soft_bounces)).scalars().all()
        actions = connection.execute(
            select(BounceEvent.action, func.count()).group_by(BounceEvent.action)
        ).all()
    assert sorted(streaks) == [1, 1], "each soft bounce counted once"
    assert (dict(actions)["suppressed"], dict(actions)["refused"]) == (11, 2), "2 lost our token"
    assert dovecot.uids("INBOX") == [] and len(dovecot.uids("Processed")) == TOTAL


def test_run_reads_the_mailbox_when_one_is_configured(
    store: SqlStore,
    database_url: str,
    dovecot: Dovecot,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings, _ = site_with_mailbox(tmp_path, database_url, dovecot)
    messages, _ = mailbox_of_week(settings, store)
    dovecot.append(messages[:3])
    monkeypatch.setenv("SSL_CERT_FILE", str(dovecot.cert))
    clock = lambda: datetime(2026, 12, 1, 6, 0, tzinfo=UTC)  # noqa: E731
    report = run_all(settings, store, clock)
    assert "bounces" in report.steps, report.errors
    line = report.steps["bounces"].summary()
    assert "3 read: 2 hard, 1 soft" in line
    assert report.as_dict()["bounces"]["digests"][0]["bounced_hard"] == 2


def test_a_wrong_password_is_one_line_and_exit_1(
    store: SqlStore,
    database_url: str,
    dovecot: Dovecot,
    tmp_path: Path,
) -> None:
    _, env = site_with_mailbox(tmp_path, database_url, dovecot)
    env["NEWSLETTER_BOUNCE_IMAP_URL"] = dovecot.url().replace("Pa55", "wrong")
    done = run_newsletter("bounces", "fetch", cwd=tmp_path / "site", env=env)
    assert done.returncode == 1
    assert done.stderr.startswith("newsletter: imaps://bounces@127.0.0.1")
    assert len(done.stderr.strip().splitlines()) == 1 and "s3cret" not in done.stderr


def test_fetch_over_starttls_and_a_mailbox_of_another_name(
    store: SqlStore,
    database_url: str,
    dovecot: Dovecot,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings, _ = bounce_site(
        tmp_path / "site",
        database_url,
        NEWSLETTER_BOUNCE_IMAP_URL=dovecot.starttls_url("Bounces"),
    )
    messages, expected = mailbox_of_week(settings, store)
    imap = dovecot.connect()
    imap.create("Bounces")
    imap.logout()
    dovecot.append(messages[:2], mailbox="Bounces")
    monkeypatch.setenv("SSL_CERT_FILE", str(dovecot.cert))
    clock = lambda: datetime(2026, 12, 1, 6, 0, tzinfo=UTC)  # noqa: E731
    run = fetch_bounces(settings, store, clock, lambda n: None)
    assert (run.read, dict(run.kinds)) == (2, {"hard": 1, "soft": 1})
    assert run.source == f"imap+starttls://bounces@127.0.0.1:{dovecot.starttls_port}/Bounces"
    assert dovecot.uids("Bounces") == [] and len(dovecot.uids("Processed")) == 2
    first = next(iter(expected))
    assert states(store, {first: ""})[first] == expected[first]
