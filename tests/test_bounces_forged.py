"""Issue 24, item 1: the bounce address is public (every digest's Return-Path), so a report
mailed to it acts only on whom it proves it is about. Forged delivery reports and
complaints are recorded as `refused` and counted, and nobody is touched; with VERP on and
off, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from newsletter.config import Settings
from newsletter.mail.bounces.mailbox import MailboxMessage
from newsletter.mail.bounces.process import BounceRun, process_messages
from newsletter.store import SqlStore
from tests.support.bounces import bounce_site, fill, send_week
from tests.support.send import add_subscribers

NOW = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
MADE_UP = "bounces+abcdefghijklmnopqrstuvw@example.com"  # 23 characters of the alphabet


def dsn(n: int, return_path: str, recipient: str) -> bytes:
    """A hard bounce (RFC 3464) of ``recipient``, mailed to ``return_path``."""
    data = fill("dsn_11", return_path, recipient)
    return data.replace(b"<200210261300.WAA27079@", f"<forged-{n}.".encode())


def arf(n: int, return_path: str, recipient: str) -> bytes:
    """A feedback-loop complaint naming ``recipient`` as its Original-Rcpt-To."""
    data = fill("arf_complaint", return_path, recipient)
    data = data.replace(b"Version: 1\n", f"Version: 1\nOriginal-Rcpt-To: {recipient}\n".encode())
    return data.replace(b"<fbl-7731.", f"<fbl-forged-{n}.".encode())


def feed(settings: Settings, store: SqlStore, messages: list[bytes], when: datetime) -> BounceRun:
    items = [MailboxMessage(data, f"forged {n}") for n, data in enumerate(messages)]
    return process_messages(settings, store, items, lambda: when, "test")


def states(store: SqlStore, *emails: str) -> dict[str, str]:
    found = {email: store.subscriber(email) for email in emails}
    return {email: record.state if record else "missing" for email, record in found.items()}


def test_with_verp_only_a_real_token_acts_and_only_on_its_own_subscriber(
    store: SqlStore, tmp_path: Path, database_url: str
) -> None:
    settings, _ = bounce_site(tmp_path / "site", database_url)
    people = ("alice@example.org", "bob@example.org", "carol@example.org", "eve@example.org")
    add_subscribers(store, list(people))
    paths = send_week(settings, store, "2026-W48", NOW)
    eve = paths["eve@example.org"]  # the forger's own, real return path
    messages = [
        dsn(1, "bounces@example.com", "alice@example.org"),  # no token
        dsn(2, MADE_UP, "bob@example.org"),  # a made-up token
        dsn(3, eve, "alice@example.org"),  # a real token, of another subscriber
        arf(4, "news@example.com", "carol@example.org"),  # a complaint without a token
        arf(5, eve, "carol@example.org"),  # a complaint with another's token
    ]
    run = feed(settings, store, messages, NOW + timedelta(hours=2))
    assert run.actions["refused"] == 3
    assert states(store, *people[:3]) == dict.fromkeys(people[:3], "active")
    assert states(store, "eve@example.org") == {"eve@example.org": "unsubscribed"}, (
        "a real token acts on the subscriber it was made for: the forger, not whom it names"
    )
    latest = store.bounce_stats()[0]
    assert (latest.sent, latest.hard, latest.complaints) == (4, 1, 1), "refused: not counted"
    assert store.refused_bounces() == 3
    assert "3 refused" in run.summary()


def test_without_verp_only_a_bounce_of_a_recent_digest_acts_and_no_complaint(
    store: SqlStore, tmp_path: Path, database_url: str
) -> None:
    settings, _ = bounce_site(tmp_path / "site", database_url, verp=False)
    add_subscribers(store, ["alice@example.org", "bob@example.org", "carol@example.org"])
    send_week(settings, store, "2026-W48", NOW)
    add_subscribers(store, ["dave@example.org"])  # never sent anything
    soon = NOW + timedelta(days=1)
    messages = [
        dsn(1, "news@example.com", "dave@example.org"),  # no digest went to dave
        dsn(2, MADE_UP, "dave@example.org"),  # a made-up token proves nothing either
        arf(3, "news@example.com", "carol@example.org"),  # no complaint acts without a token
    ]
    run = feed(settings, store, messages, soon)
    assert run.actions["refused"] == 3
    late = feed(
        settings, store, [dsn(4, "news@example.com", "alice@example.org")], NOW + timedelta(days=31)
    )
    assert late.actions["refused"] == 1, "a bounce of a digest sent over 30 days ago"
    everyone = ("alice@example.org", "carol@example.org", "dave@example.org")
    assert states(store, *everyone) == dict.fromkeys(everyone, "active")
    real = feed(settings, store, [dsn(5, "news@example.com", "bob@example.org")], soon)
    assert real.actions["suppressed"] == 1, "a bounce of a recent digest still acts"
    assert states(store, "bob@example.org") == {"bob@example.org": "bounced"}
    assert store.refused_bounces() == 4


def test_without_verp_a_report_naming_several_acts_on_each_once(
    store: SqlStore, tmp_path: Path, database_url: str
) -> None:
    settings, _ = bounce_site(tmp_path / "site", database_url, verp=False)
    add_subscribers(store, ["alice@example.org", "bob@example.org"])
    send_week(settings, store, "2026-W48", NOW)
    data = dsn(1, "news@example.com", "alice@example.org")
    first = b"Final-Recipient: RFC822; <alice@example.org>"
    data = data.replace(first, first.replace(b"alice", b"bob"), 1)
    soon = NOW + timedelta(days=1)
    run = feed(settings, store, [data], soon)
    assert (run.read, run.actions["suppressed"]) == (1, 2)
    assert states(store, "alice@example.org", "bob@example.org") == dict.fromkeys(
        ("alice@example.org", "bob@example.org"), "bounced"
    )
    again = feed(settings, store, [data], soon)
    assert (again.read, again.seen_before, sum(again.actions.values())) == (1, 1, 0)
