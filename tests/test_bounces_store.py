"""The store's half of bounces: each message acted on once, the soft-bounce streak across
digests, and the figures per digest. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newsletter.mail.bounces.process import bounce_report
from newsletter.mail.bounces.stats import digest_line
from newsletter.mail.verp import verp_for
from newsletter.store import SqlStore
from newsletter.store.bounces import BounceReport
from tests.support.bounces import bounce_site, fill, send_week
from tests.support.send import add_subscribers

NOW = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=30)  # after the last digest went out
WEEKS = ("2026-W48", "2026-W49", "2026-W50", "2026-W51")


@pytest.fixture
def weeks(store: SqlStore, tmp_path: Path, database_url: str) -> list[dict[str, str]]:
    """ann, bob and cat sent four weekly digests; each week's return paths."""
    settings, _ = bounce_site(tmp_path / "site", database_url, limit=3)
    add_subscribers(store, ["ann@example.org", "bob@example.org", "cat@example.org"])
    return [
        send_week(settings, store, week, NOW + timedelta(days=7 * n))
        for n, week in enumerate(WEEKS)
    ]


def report(store: SqlStore, tmp_path: Path, name: str, return_path: str, to: str) -> BounceReport:
    settings, _ = bounce_site(tmp_path / "site", "sqlite://")
    data = fill(name, return_path, to).replace(b"Message-Id: <", b"Message-Id: <" + to.encode())
    return bounce_report(data.replace(b"Message-ID: <", b"Message-ID: <" + name.encode()),
                         verp_for(settings))  # fmt: skip


def state(store: SqlStore, email: str) -> str:
    found = store.subscriber(email)
    assert found is not None
    return found.state


def test_a_hard_bounce_suppresses_once(
    store: SqlStore, weeks: list[dict[str, str]], tmp_path: Path
) -> None:
    bounce = report(store, tmp_path, "dsn_11", weeks[0]["ann@example.org"], "ann@example.org")
    assert bounce.ref_kind == "digest"
    first = store.record_bounce(bounce, NOW, 3)
    assert first is not None and first.action == "suppressed"
    assert state(store, "ann@example.org") == "bounced"
    assert store.record_bounce(bounce, NOW, 3) is None, "the same message is acted on once"
    assert state(store, "bob@example.org") == "active"
    stats = store.bounce_stats()
    assert [(s.week, s.sent, s.hard) for s in stats][-1] == ("2026-W48", 3, 1)


def test_soft_bounces_suppress_only_on_consecutive_digests(
    store: SqlStore, weeks: list[dict[str, str]], tmp_path: Path
) -> None:
    def soft(week: int, to: str, copy: str = "") -> str | None:
        bounce = report(store, tmp_path, "dsn_05", weeks[week][to], to)
        keyed = BounceReport(**{**bounce.__dict__, "message_key": f"{week}-{to}-{copy}"})
        action = store.record_bounce(keyed, NOW, 3)
        return action.action if action else None

    assert soft(0, "bob@example.org") == "counted"
    assert soft(0, "bob@example.org", "again") == "counted", "a second report on week 48"
    assert soft(1, "bob@example.org") == "counted"
    assert state(store, "bob@example.org") == "active", "two digests in a row, limit 3"
    assert soft(2, "bob@example.org") == "suppressed"
    assert state(store, "bob@example.org") == "bounced"
    # cat: W48 soft, W49 got through (no bounce), W50 and W51 soft: the streak restarted.
    assert soft(0, "cat@example.org") == "counted"
    assert soft(2, "cat@example.org") == "counted"
    assert soft(3, "cat@example.org") == "counted"
    assert state(store, "cat@example.org") == "active"


def test_complaints_and_mailto_unsubscribes_unsubscribe(
    store: SqlStore, weeks: list[dict[str, str]], tmp_path: Path
) -> None:
    settings, _ = bounce_site(tmp_path / "site", "sqlite://")
    verp = verp_for(settings)
    assert verp is not None
    complaint = report(store, tmp_path, "arf_complaint", weeks[3]["ann@example.org"], "x@y.z")
    assert complaint.kind == "complaint"
    assert store.record_bounce(complaint, LATER, 3).action == "unsubscribed"  # type: ignore[union-attr]
    bob = store.subscriber("bob@example.org")
    assert bob is not None
    mail = fill("mailto_unsubscribe", "", "bob@example.org", verp.unsubscribe_address(bob.id))
    forged = mail.replace(b"From: A Reader <bob@", b"From: A Reader <eve@")
    forged = forged.replace(b"<CAB-unsub", b"<forged")
    assert store.record_bounce(bounce_report(forged, verp), LATER, 3).action == (  # type: ignore[union-attr]
        "sender does not match"
    )
    assert state(store, "bob@example.org") == "active"
    assert store.record_bounce(bounce_report(mail, verp), LATER, 3).action == "unsubscribed"  # type: ignore[union-attr]
    assert (state(store, "ann@example.org"), state(store, "bob@example.org")) == (
        "unsubscribed",
        "unsubscribed",
    )
    latest = store.bounce_stats()[0]
    assert (latest.week, latest.sent, latest.complaints) == ("2026-W51", 3, 1)
    assert latest.unsubscribes == 2, "both left after week 51 reached them"
    assert "33.33%, OVER Gmail's 0.3% line" in digest_line(latest)


def test_auto_replies_and_unknown_mail_are_kept_and_do_nothing(
    store: SqlStore, weeks: list[dict[str, str]], tmp_path: Path
) -> None:
    vacation = report(store, tmp_path, "auto_reply", weeks[0]["cat@example.org"], "cat@example.org")
    other = report(store, tmp_path, "unclassified", "", "")
    assert store.record_bounce(vacation, NOW, 3).action == "ignored"  # type: ignore[union-attr]
    assert store.record_bounce(other, NOW, 3).action == "ignored"  # type: ignore[union-attr]
    assert store.bounce_recorded(other.message_key)
    assert state(store, "cat@example.org") == "active"


def test_without_verp_a_bounce_finds_the_address_and_its_last_digest(
    store: SqlStore, weeks: list[dict[str, str]], tmp_path: Path
) -> None:
    data = fill("postfix_01", "news@example.com", "Cat@Example.org")
    bounce = bounce_report(data, None)  # VERP off: the address, sent to lately, is the proof
    assert (bounce.ref_kind, bounce.proof) == (None, "recent_send")
    action = store.record_bounce(bounce, NOW, 3)
    assert action is not None and action.action == "suppressed"
    assert store.bounce_stats()[0].hard == 1, "counted against the latest digest, week 51"
    stranger = bounce_report(fill("qmail_01", "news@example.com", "who@example.net"), None)
    assert store.record_bounce(stranger, NOW, 3).action == "no such subscriber"  # type: ignore[union-attr]


def test_a_refusal_at_rcpt_time_counts_as_a_hard_bounce_of_its_digest(
    store: SqlStore, tmp_path: Path, database_url: str, smtp: tuple[object, str]
) -> None:
    recorder, url = smtp
    recorder.reject.add("gone@example.org")  # type: ignore[attr-defined]
    settings, _ = bounce_site(tmp_path / "site", database_url, NEWSLETTER_SMTP_URL=url)
    add_subscribers(store, ["ann@example.org", "gone@example.org"])
    send_week(settings, store, "2026-W48", NOW)
    assert state(store, "gone@example.org") == "bounced"
    latest = store.bounce_stats()[0]
    assert (latest.sent, latest.hard, latest.soft) == (1, 1, 0)
