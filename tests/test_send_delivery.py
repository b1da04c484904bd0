"""send_digest against a real SMTP server on loopback (aiosmtpd), on SQLite and PostgreSQL:
one message per recipient, headers and parts as promised, 451 retried, 550 suppressed,
a dropped connection survived, a streak of errors paused with nothing lost."""

from __future__ import annotations

import socket
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from newsletter.mail import SendOptions, SendReport, send_digest
from newsletter.mail.decide import ERROR_STREAK
from newsletter.mail.journal import FOLDER, Journal
from newsletter.mail.message import DigestMessage
from newsletter.store import SqlStore
from newsletter.store.deliveries import DeliveryState
from newsletter.store.models import Delivery, Subscriber
from newsletter.store.subscribers import NewSubscriber, SubscriberSource, SubscriberState
from newsletter.subscribers.tokens import Tokens
from tests.support.clock import Clock
from tests.support.send import (
    BASE_URL,
    BOTH_WAYS,
    SECRET,
    Recorder,
    add_digest,
    add_subscribers,
    site,
)

Smtp = tuple[Recorder, str]
EMAILS = ["ann@example.org", "Bob@example.org", "cy@example.net"]


def prepared(store: SqlStore, clock: Clock, emails: list[str] = EMAILS) -> int:
    add_subscribers(store, emails)
    digest_id = add_digest(store)
    assert store.delivery_counts(digest_id)[DeliveryState.PENDING] == len(emails)
    return digest_id


def send(
    tmp_path: Path, store: SqlStore, clock: Clock, url: str | None, **options: Any
) -> SendReport:
    settings, _ = site(tmp_path / "site", url)
    return send_digest(settings, store, clock, SendOptions(**options))


def rows(store: SqlStore, digest_id: int) -> dict[str, Delivery]:
    """The digest's delivery rows by subscriber address."""
    with Session(store.engine) as session:
        found = session.execute(
            select(Delivery, Subscriber.email)
            .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
            .where(Delivery.digest_id == digest_id)
        ).all()
    return {email: row for row, email in found}


@BOTH_WAYS
def test_a_clean_send_delivers_one_message_per_recipient(
    store: SqlStore, clock: Clock, smtp: Smtp, tmp_path: Path
) -> None:
    recorder, url = smtp
    digest_id = prepared(store, clock)
    report = send(tmp_path, store, clock, url, workers=2)
    assert sorted(recorder.recipients()) == sorted(EMAILS)
    assert (report.sent, report.failed, report.retry, report.paused) == (3, 0, 0, None)
    assert store.delivery_counts(digest_id)[DeliveryState.SENT] == 3
    assert "3 sent" in report.summary() and report.as_dict()["sent"] == 3
    again = send(tmp_path, store, clock, url)
    assert again.sent == 0 and len(recorder.messages) == 3, "a second send sends nothing"
    by_address = rows(store, digest_id)
    for received in recorder.messages:
        row = by_address[received.rcpt_tos[0]]
        assert row.state == "sent" and row.sent_at == clock() and row.attempts == 1
        assert row.reply is not None and row.reply.startswith("250 2.0.0 queued as")
        assert received.message["Message-ID"] == row.message_id, "stored before sending"
        assert received.mail_from == "news@example.com"
    assert len({m.message["Message-ID"] for m in recorder.messages}) == 3


@BOTH_WAYS
def test_a_message_that_cannot_be_built_goes_back_to_pending_not_into_doubt(
    store: SqlStore, clock: Clock, smtp: Smtp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A bug rendering one subscriber's message (a template, DKIM) stops the send; that row
    # never reached a server, so it must be sent by the next send, not left `unknown`.
    recorder, url = smtp
    digest_id = prepared(store, clock)
    render = DigestMessage.render

    def broken_for_bob(message: DigestMessage, to: str, *args: Any) -> bytes:
        if "Bob" in to:
            raise RuntimeError("a template bug")
        return render(message, to, *args)

    monkeypatch.setattr(DigestMessage, "render", broken_for_bob)
    with pytest.raises(RuntimeError, match="a template bug"):
        send(tmp_path, store, clock, url)
    assert rows(store, digest_id)["Bob@example.org"].state == "pending"
    monkeypatch.setattr(DigestMessage, "render", render)
    send(tmp_path, store, clock, url)
    assert sorted(recorder.recipients()) == sorted(EMAILS), "each once, Bob included"


def test_who_subscribes_before_the_send_gets_a_digest_built_ahead(
    store: SqlStore, clock: Clock, smtp: Smtp, tmp_path: Path
) -> None:
    recorder, url = smtp
    digest_id = prepared(store, clock)  # built (and previewed) before the newcomer confirmed
    add_subscribers(store, ["new@example.org"])
    send(tmp_path, store, clock, url)
    assert sorted(recorder.recipients()) == sorted([*EMAILS, "new@example.org"])
    add_subscribers(store, ["later@example.org"])  # once it has gone out, it stays as it was
    again = send(tmp_path, store, clock, url)
    assert again.sent == 0 and "later@example.org" not in rows(store, digest_id)


@BOTH_WAYS
def test_headers_and_parts_of_a_digest_email(
    store: SqlStore, clock: Clock, smtp: Smtp, tmp_path: Path
) -> None:
    recorder, url = smtp
    prepared(store, clock, ["Ann@Example.org"])
    send(tmp_path, store, clock, url)
    (received,) = recorder.messages
    message = received.message
    once = ["Date", "From", "To", "Subject", "Message-ID", "MIME-Version", "List-Id"]
    once += ["List-Unsubscribe", "List-Unsubscribe-Post", "Content-Type"]
    assert Counter(key.lower() for key in message) == Counter(key.lower() for key in once)
    assert message["From"] == "Best Running Tips <news@example.com>"
    assert message["To"] == "Ann@Example.org"
    assert message["Subject"] == "Best Running Tips: week 48"
    assert message["MIME-Version"] == "1.0"
    assert message["List-Id"] == "Best Running Tips <list.example.com>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Message-ID"].startswith("<digest-2026-W48.")
    assert message["Message-ID"].endswith("@example.com>")
    assert message["Date"].datetime == clock()
    web, mail = (part.strip() for part in str(message["List-Unsubscribe"]).split(","))
    assert web.startswith(f"<{BASE_URL}unsubscribe/") and web.endswith(">")
    link = web[1:-1]
    subscriber = store.subscriber("ann@example.org")
    assert subscriber is not None
    token = link.rsplit("/", 1)[1]
    assert mail == f"<mailto:news+{token}@example.com?subject=unsubscribe>", "one token, two ways"
    assert f".{subscriber.id}." not in message["Message-ID"], "no row id in the Message-ID"
    assert "ann" not in token and len(token) == 29, "an opaque token"
    claim = Tokens(SECRET).read("unsubscribe", token)
    assert claim is not None and claim.subscriber_id == subscriber.id
    assert claim.matches("ann@example.org") and not claim.matches("bob@example.org")
    assert Tokens(SECRET).read("confirm", token) is None, "an unsubscribe token confirms nothing"
    assert message.get_content_type() == "multipart/alternative"
    text, html = message.iter_parts()
    assert (text.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
    assert text.get_content_charset() == html.get_content_charset() == "utf-8"
    assert text["Content-Transfer-Encoding"] == "quoted-printable"
    body = text.get_content().replace("\r\n", "\n")
    assert body == f"This week: tempo runs.\n\nUnsubscribe: {link}\n"
    assert f'<a href="{link}">Unsubscribe</a>' in html.get_content()
    assert b"%%UNSUBSCRIBE_URL%%" not in received.data


@BOTH_WAYS
def test_feed_and_user_text_cannot_inject_headers(
    store: SqlStore, clock: Clock, smtp: Smtp, tmp_path: Path
) -> None:
    recorder, url = smtp
    evil = "evil@example.org"
    name = f"Ann\nBcc: {evil}"
    subscriber = NewSubscriber(
        "ann@example.org", "ann@example.org", name, SubscriberState.ACTIVE, SubscriberSource.WEB
    )
    store.import_changes([subscriber], [], clock())
    add_digest(store, subject=f"Week 48 =?UTF-8?Q?=0A?=Bcc: {evil}\n")
    title = f"Tips =?UTF-8?Q?=0D=0A?=Bcc: {evil}\n"
    settings, _ = site(tmp_path / "site", url, title=title)
    send_digest(settings, store, clock)
    (received,) = recorder.messages
    assert received.rcpt_tos == ["ann@example.org"]
    message = received.message
    assert message["Bcc"] is None and message["Cc"] is None
    raw_headers = received.data.split(b"\r\n\r\n", 1)[0]
    assert b"\nBcc:" not in raw_headers and b"=0A" not in raw_headers and b"=0D" not in raw_headers
    for header in ("Subject", "To", "List-Id", "From"):
        assert "\n" not in str(message[header]) and "\r" not in str(message[header]), header
    assert message["Subject"] == f"Week 48 Bcc: {evil}"
    assert [a.addr_spec for a in message["To"].addresses] == ["ann@example.org"]
    assert message["To"].addresses[0].display_name == f"Ann Bcc: {evil}"
    assert message["List-Id"] == f'"Tips Bcc: {evil}" <list.example.com>'


@BOTH_WAYS
def test_a_451_is_retried_after_the_backoff(
    store: SqlStore, clock: Clock, smtp: Smtp, tmp_path: Path
) -> None:
    recorder, url = smtp
    recorder.tempfail_once.add("Bob@example.org")
    digest_id = prepared(store, clock)
    report = send(tmp_path, store, clock, url)
    assert (report.sent, report.retry) == (2, 1)
    row = rows(store, digest_id)["Bob@example.org"]
    assert row.state == "retry" and row.attempts == 1
    assert row.next_attempt_at == clock.now + timedelta(minutes=5)
    assert row.error is not None and row.error.startswith("451")
    assert "1 to retry after 2026-11-25 09:05 UTC" in report.summary()
    early = send(tmp_path, store, clock, url)
    assert early.sent == 0 and "1 waiting to retry" in early.summary()
    clock.advance(minutes=5)
    later = send(tmp_path, store, clock, url)
    assert later.sent == 1 and rows(store, digest_id)["Bob@example.org"].state == "sent"
    assert sorted(recorder.recipients()) == sorted(EMAILS), "each exactly once"


@BOTH_WAYS
def test_a_550_fails_the_delivery_and_suppresses_the_address(
    store: SqlStore, clock: Clock, smtp: Smtp, tmp_path: Path
) -> None:
    recorder, url = smtp
    recorder.reject.add("cy@example.net")
    digest_id = prepared(store, clock)
    report = send(tmp_path, store, clock, url)
    assert (report.sent, report.failed, report.bounced) == (2, 1, 1)
    row = rows(store, digest_id)["cy@example.net"]
    assert row.state == "failed" and row.error == "550 5.1.1 no such user here"
    bounced = store.subscriber("cy@example.net")
    assert bounced is not None and bounced.state == "bounced" and bounced.bounced_at == clock()
    assert send(tmp_path, store, clock, url).sent == 0, "a failure is not retried"
    next_week = add_digest(store, week="2026-W49")
    assert store.delivery_counts(next_week)[DeliveryState.PENDING] == 2, (
        "a bounced address is not queued"
    )


@BOTH_WAYS
def test_a_dropped_connection_is_reopened_and_the_message_sent_once(
    store: SqlStore, clock: Clock, smtp: Smtp, tmp_path: Path
) -> None:
    recorder, url = smtp
    recorder.drop_once.add("Bob@example.org")
    prepared(store, clock)
    report = send(tmp_path, store, clock, url)
    assert report.sent == 3 and report.retry == 0
    assert sorted(recorder.recipients()) == sorted(EMAILS)


@BOTH_WAYS
def test_who_unsubscribed_after_the_digest_was_built_is_skipped(
    store: SqlStore, clock: Clock, smtp: Smtp, tmp_path: Path
) -> None:
    recorder, url = smtp
    digest_id = prepared(store, clock)
    leaving = store.subscriber("bob@example.org")
    assert leaving is not None
    store.set_subscriber_state(leaving.id, SubscriberState.UNSUBSCRIBED, clock())
    report = send(tmp_path, store, clock, url)
    assert report.sent == 2 and report.skipped == 1
    assert "Bob@example.org" not in recorder.recipients()
    assert rows(store, digest_id)["Bob@example.org"].state == "skipped"


@BOTH_WAYS
def test_a_streak_of_errors_pauses_and_loses_nothing(
    store: SqlStore, clock: Clock, smtp: Smtp, tmp_path: Path
) -> None:
    recorder, url = smtp
    emails = [f"r{n:02}@example.org" for n in range(25)]
    recorder.tempfail_once.update(emails[:ERROR_STREAK])
    digest_id = prepared(store, clock, emails)
    report = send(tmp_path, store, clock, url)
    assert report.paused is not None and "10 failures in a row" in report.paused
    assert "451 4.7.1 greylisted" in report.paused and "PAUSED" in report.summary()
    counts = store.delivery_counts(digest_id)
    assert counts[DeliveryState.RETRY] == 10 and counts[DeliveryState.PENDING] == 15, (
        "the rest left pending"
    )
    assert counts[DeliveryState.CLAIMED] == counts[DeliveryState.SENDING] == 0
    clock.advance(minutes=5)
    resumed = send(tmp_path, store, clock, url)
    assert resumed.sent == 25 and resumed.paused is None
    assert sorted(recorder.recipients()) == emails


@BOTH_WAYS
def test_a_refused_sender_address_pauses_at_once(
    store: SqlStore, clock: Clock, smtp: Smtp, tmp_path: Path
) -> None:
    recorder, url = smtp
    recorder.refuse_sender = True
    digest_id = prepared(store, clock)
    report = send(tmp_path, store, clock, url)
    assert report.paused == "553 5.7.1 sender address rejected"
    counts = store.delivery_counts(digest_id)
    assert counts[DeliveryState.PENDING] == 3, "nothing was sent, so nothing is marked"
    assert all(row.attempts == 0 for row in rows(store, digest_id).values())


def test_an_unreachable_server_pauses_with_every_row_pending(
    store: SqlStore, clock: Clock, tmp_path: Path
) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    emails = [f"r{n:02}@example.org" for n in range(12)]
    digest_id = prepared(store, clock, emails)
    report = send(tmp_path, store, clock, f"smtp://127.0.0.1:{port}")
    assert report.paused is not None and "cannot connect to smtp://127.0.0.1" in report.paused
    assert store.delivery_counts(digest_id)[DeliveryState.PENDING] == 12
    assert (report.sent, report.retry, report.failed) == (0, 0, 0), "nothing was attempted"


@BOTH_WAYS
def test_several_workers_share_the_list_without_duplicates(
    store: SqlStore, clock: Clock, smtp: Smtp, tmp_path: Path
) -> None:
    recorder, url = smtp
    emails = [f"r{n:03}@example.org" for n in range(120)]
    digest_id = prepared(store, clock, emails)
    report = send(tmp_path, store, clock, url, workers=24)  # more than the pool's 15
    assert report.sent == 120
    assert sorted(recorder.recipients()) == emails
    assert store.delivery_counts(digest_id)[DeliveryState.SENT] == 120


def test_without_smtp_the_same_pipeline_writes_the_outbox(
    store: SqlStore, clock: Clock, tmp_path: Path
) -> None:
    digest_id = prepared(store, clock)
    report = send(tmp_path, store, clock, None)
    assert report.sent == 3 and "outbox" in report.transport
    files = sorted((tmp_path / "site" / "outbox").glob("*.eml"))
    ids = {row.message_id for row in rows(store, digest_id).values()}
    assert {f"<{f.stem}>" for f in files} == ids
    assert not list((tmp_path / "site" / "outbox").glob(".*")), "no temporary file left"


@BOTH_WAYS
def test_rows_a_dead_sender_left_without_a_journal_are_sent_again(
    store: SqlStore, clock: Clock, smtp: Smtp, tmp_path: Path
) -> None:
    recorder, url = smtp
    digest_id = prepared(store, clock)
    dead = f"{socket.gethostname()}:999999999:gone"
    jobs = store.claim_deliveries(digest_id, dead, clock(), 2, "<x.{}.y@example.com>".format)
    writer = store.open_delivery_writer(dead)
    assert writer.advance([], jobs[0], clock()) == "sending"
    writer.close()
    report = send(tmp_path, store, clock, url)
    assert (report.sent, report.resent_after_crash, report.released) == (3, 1, 1)
    assert "1 re-sent after a crash" in report.summary(), "maybe delivered: may arrive twice"
    assert sorted(recorder.recipients()) == sorted(EMAILS), "nobody missed"
    assert store.delivery_counts(digest_id)[DeliveryState.SENT] == 3
    assert report.as_dict()["resent_in_all"] == 1 == store.resent_after_crash(digest_id)


@BOTH_WAYS
def test_a_dead_senders_journal_tells_what_it_delivered(
    store: SqlStore, clock: Clock, smtp: Smtp, tmp_path: Path
) -> None:
    recorder, url = smtp
    digest_id = prepared(store, clock)
    dead = f"{socket.gethostname()}:999999999:gone"
    jobs = store.claim_deliveries(digest_id, dead, clock(), 3, "<x.{}.y@example.com>".format)
    writer = store.open_delivery_writer(dead)
    assert writer.mark([], jobs, clock()) == ["sending"] * 3
    writer.close()
    folder = tmp_path / "site" / "db" / FOLDER
    journal = Journal.create(folder, dead, 0)
    journal.handing(jobs[0].id)
    journal.answered(jobs[0].id, delivered=True)
    journal.handing(jobs[1].id)  # and then the sender died: jobs[2] never left
    journal.close(remove=False)
    report = send(tmp_path, store, clock, url)
    assert (report.journal_delivered, report.resent_after_crash, report.released) == (1, 1, 1)
    assert sorted(recorder.recipients()) == sorted([jobs[1].email, jobs[2].email])
    assert "1 re-sent after a crash" in report.summary()
    assert store.delivery_counts(digest_id)[DeliveryState.SENT] == 3
    assert list(folder.iterdir()) == [], "the journals are gone once used, ours too"
    assert "journal" in (rows(store, digest_id)[jobs[0].email].reply or "")


@BOTH_WAYS
def test_rows_left_unknown_by_an_older_version_wait_for_retry_unknown(
    store: SqlStore, clock: Clock, smtp: Smtp, tmp_path: Path
) -> None:
    recorder, url = smtp
    digest_id = prepared(store, clock)
    first = select(func.min(Delivery.id)).where(Delivery.digest_id == digest_id)
    with Session(store.engine) as session, session.begin():
        session.execute(
            update(Delivery)
            .where(Delivery.id == first.scalar_subquery())
            .values(state=DeliveryState.UNKNOWN, message_id="<old.1@example.com>")
        )
    report = send(tmp_path, store, clock, url)
    assert report.sent == 2 and "1 still unknown" in report.summary()
    assert "--retry-unknown" in report.summary()
    assert send(tmp_path, store, clock, url).sent == 0
    retried = send(tmp_path, store, clock, url, retry_unknown=True)
    assert (retried.sent, retried.requeued_unknown) == (1, 1)
    assert sorted(recorder.recipients()) == sorted(EMAILS)


def test_a_live_sender_elsewhere_keeps_its_rows_whatever_our_clock_says(
    store: SqlStore, clock: Clock, smtp: Smtp, tmp_path: Path
) -> None:
    """On PostgreSQL claims are stamped and judged by the database's clock: a machine whose
    clock runs an hour ahead does not take a live sender's rows for a dead one's (and send
    them again)."""
    if store.dialect != "postgresql":
        pytest.skip("on SQLite one machine sends, holding the lock: every claim is stale")
    recorder, url = smtp
    digest_id = prepared(store, clock)
    elsewhere = "other-machine.example.org:4242:1"
    jobs = store.claim_deliveries(digest_id, elsewhere, clock(), 2, "<x.{}.y@example.com>".format)
    writer = store.open_delivery_writer(elsewhere)
    assert writer.advance([], jobs[0], clock()) == "sending"
    writer.close()
    database_now = store.database_now()
    assert database_now is not None
    clock.now = database_now + timedelta(hours=1)  # our clock, an hour ahead
    report = send(tmp_path, store, clock, url)
    assert (report.sent, report.resent_after_crash, report.released) == (1, 0, 0)
    assert {job.email for job in jobs}.isdisjoint(recorder.recipients())
    counts = store.delivery_counts(digest_id)
    assert (counts[DeliveryState.SENDING], counts[DeliveryState.CLAIMED]) == (1, 1)
