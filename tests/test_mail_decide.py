"""The sender's pure decisions: what a reply means, when to retry, whose claim is stale,
how fast to go; and the SMTP URL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from newsletter.errors import ConfigError
from newsletter.mail.decide import (
    LEASE,
    MAX_ATTEMPTS,
    Claimer,
    backoff,
    claim_is_stale,
    classify,
    result_after_failure,
    result_for,
)
from newsletter.mail.ratelimit import RateLimiter
from newsletter.mail.transport import Reply, SmtpUrl
from newsletter.store.deliveries import Claim, DeliveryJob

NOW = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
JOB = DeliveryJob(7, 3, "ann@example.org", "ann@example.org", None, "<m@x>", attempts=0)


@pytest.mark.parametrize(
    ("code", "text", "stage", "verdict"),
    [
        (250, "2.0.0 queued", "data", "sent"),
        (250, "written to outbox/x.eml", "outbox", "sent"),
        (451, "4.7.1 greylisted", "rcpt", "retry"),
        (452, "4.2.2 mailbox full", "rcpt", "retry"),
        (421, "4.3.2 shutting down", "mail", "retry"),
        (450, "4.2.0 try later", "data", "retry"),
        (550, "5.1.1 no such user", "rcpt", "bounced"),
        (550, "no such user", "rcpt", "bounced"),
        (551, "user not local", "rcpt", "bounced"),
        (553, "5.1.3 bad address syntax", "rcpt", "bounced"),
        (550, "5.2.1 mailbox disabled", "rcpt", "bounced"),
        (550, "5.7.1 relaying denied", "rcpt", "failed"),  # our problem, not theirs
        (552, "5.2.2 mailbox full", "rcpt", "failed"),
        (554, "5.7.1 rejected as spam", "data", "failed"),
        (550, "5.1.1 no such user", "data", "failed"),  # only RCPT speaks of the mailbox
        (553, "5.7.1 sender rejected", "mail", "pause"),
        (530, "5.7.0 authentication required", "mail", "pause"),
    ],
)
def test_classify(code: int, text: str, stage: str, verdict: str) -> None:
    assert classify(Reply(code, text, stage)) == verdict  # type: ignore[arg-type]


def test_backoff_doubles_from_five_minutes_up_to_six_hours() -> None:
    assert [backoff(n) for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (5, 10, 20, 40)]
    assert backoff(7) == timedelta(hours=5, minutes=20)
    assert backoff(8) == backoff(30) == timedelta(hours=6)


def test_results_of_an_answered_attempt() -> None:
    sent = result_for(JOB, "sent", "250 ok", NOW)
    assert (sent.state, sent.attempts, sent.reply, sent.error) == ("sent", 1, "250 ok", None)
    retry = result_for(JOB, "retry", "451 later", NOW)
    assert (retry.state, retry.next_attempt_at, retry.error) == (
        "retry",
        NOW + timedelta(minutes=5),
        "451 later",
    )
    bounced = result_for(JOB, "bounced", "550 no", NOW)
    assert (bounced.state, bounced.bounced) == ("failed", True)
    failed = result_for(JOB, "failed", "554 spam", NOW)
    assert (failed.state, failed.bounced) == ("failed", False)
    paused = result_for(JOB, "pause", "553 sender", NOW)
    assert (paused.state, paused.attempts) == ("pending", 0), "handed back, no attempt counted"


def test_temporary_failures_give_up_after_the_last_attempt() -> None:
    tired = DeliveryJob(7, 3, "a@x.org", "a@x.org", None, "<m@x>", attempts=MAX_ATTEMPTS - 1)
    result = result_for(tired, "retry", "451 later", NOW)
    assert result.state == "failed" and result.attempts == MAX_ATTEMPTS
    assert result.error == f"gave up after {MAX_ATTEMPTS} temporary failures; the last: 451 later"


def test_connection_failures() -> None:
    refused = result_after_failure(JOB, "cannot connect", before_data=True, now=NOW)
    assert (refused.state, refused.attempts) == ("pending", 0)
    dropped = result_after_failure(JOB, "dropped twice", before_data=False, now=NOW)
    assert (dropped.state, dropped.attempts) == ("retry", 1)
    assert dropped.next_attempt_at == NOW + timedelta(minutes=5)


def test_claimer_round_trip() -> None:
    claimer = Claimer("mail-1.example.org", 4242, "918273")
    assert Claimer.parse(str(claimer)) == claimer
    assert Claimer.parse("garbage") is None and Claimer.parse("h:notapid:x") is None


def test_whose_claim_is_stale() -> None:
    here = "mail-1"
    alive = {4242}

    def running(claimer: Claimer) -> bool:
        return claimer.pid in alive

    def stale(claimed_by: str | None, seen: datetime | None) -> bool:
        return claim_is_stale(Claim(claimed_by, seen, 1), NOW, here, running)

    assert not stale("mail-1:4242:1", NOW - timedelta(days=1)), "alive here, however old"
    assert stale("mail-1:999:1", NOW), "dead here, however fresh"
    assert not stale("mail-2:999:1", NOW - LEASE), "elsewhere: within the lease"
    assert stale("mail-2:999:1", NOW - LEASE - timedelta(seconds=1)), "elsewhere: silent too long"
    assert stale(None, NOW) is False and stale(None, None) is True


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []
        self.lock = threading.Lock()

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.sleeps.append(round(seconds, 6))


def test_the_rate_limit_spaces_messages_evenly() -> None:
    time = FakeTime()
    limiter = RateLimiter(4.0, time.monotonic, time.sleep)
    for _ in range(4):
        limiter.wait()
    assert time.sleeps == [0.25, 0.5, 0.75], "the first goes at once, then one every 1/rate"
    time.now += 10
    limiter.wait()
    assert time.sleeps[-1] == 0.75, "an idle limiter saves up no burst"


def test_the_rate_limit_is_shared_by_threads() -> None:
    time = FakeTime()
    limiter = RateLimiter(10.0, time.monotonic, time.sleep)
    threads = [threading.Thread(target=limiter.wait) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(time.sleeps) == [round(0.1 * n, 6) for n in range(1, 8)]


def test_no_rate_means_no_waiting() -> None:
    time = FakeTime()
    limiter = RateLimiter(None, time.monotonic, time.sleep)
    for _ in range(100):
        limiter.wait()
    assert time.sleeps == []


HOST = "mail.example.org"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"smtp://{HOST}", SmtpUrl("smtp", HOST, 25)),
        (f"smtp+starttls://u%40x:p%3Aw@{HOST}", SmtpUrl("smtp+starttls", HOST, 587, "u@x", "p:w")),
        (f"smtps://user:secret@{HOST}:2465", SmtpUrl("smtps", HOST, 2465, "user", "secret")),
    ],
)
def test_smtp_urls(url: str, expected: SmtpUrl) -> None:
    parsed = SmtpUrl.parse(url)
    assert parsed == expected
    assert "secret" not in str(parsed) and "p:w" not in str(parsed)


@pytest.mark.parametrize("url", ["http://mail.example.org", "smtp://", "smtp://host:port"])
def test_bad_smtp_urls_are_refused(url: str) -> None:
    with pytest.raises(ConfigError, match="NEWSLETTER_SMTP_URL"):
        SmtpUrl.parse(url)
