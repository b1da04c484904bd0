"""The delivery rows in the store (SQLite and PostgreSQL): a frozen audience, claims that
skip each other, and the states only ever moving forward."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from newsletter.store import SqlStore
from newsletter.store.deliveries import (
    DeliveryJob,
    DeliveryResult,
    DeliveryState,
    Journaled,
    Recovered,
)
from newsletter.store.delivery_writer import StartOutcome
from newsletter.store.engine import make_engine
from newsletter.store.models import Delivery, Subscriber
from tests.support.send import add_digest, add_subscribers

NOW = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)


IDS = "<digest-2026-W48.{}.n0nce@example.com>".format


def stored_message_ids(store: SqlStore) -> list[str | None]:
    with store.engine.connect() as connection:
        query = select(Delivery.message_id).order_by(Delivery.id)
        return [message_id for (message_id,) in connection.execute(query)]


def test_the_audience_is_frozen_when_built(store: SqlStore) -> None:
    add_subscribers(store, ["a@example.org", "b@example.org"])
    add_subscribers(store, ["p@example.org"], state="pending")
    add_subscribers(store, ["u@example.org"], state="unsubscribed")
    digest_id = add_digest(store)
    assert store.delivery_counts(digest_id)[DeliveryState.PENDING] == 2
    add_subscribers(store, ["late@example.org"])
    assert store.delivery_counts(digest_id)[DeliveryState.PENDING] == 2
    assert store.queue_deliveries(digest_id, NOW) == 1, "again: only who is not queued yet"
    assert store.queue_deliveries(digest_id, NOW) == 0
    counts = store.delivery_counts(digest_id)
    assert counts == {**dict.fromkeys(counts, 0), DeliveryState.PENDING: 3}


def test_new_subscribers_are_queued_only_until_the_first_try(store: SqlStore) -> None:
    add_subscribers(store, ["a@example.org"])
    digest_id = add_digest(store)
    add_subscribers(store, ["b@example.org"])
    assert store.queue_new_subscribers(digest_id) == 1
    assert store.queue_new_subscribers(digest_id) == 0, "already queued"
    assert len(store.claim_deliveries(digest_id, "me", NOW, 1, IDS)) == 1
    add_subscribers(store, ["c@example.org"])
    assert store.queue_new_subscribers(digest_id) == 0, "a send under way never grows"
    assert sum(store.delivery_counts(digest_id).values()) == 2


def test_claims_set_message_ids_in_order_and_never_overlap(store: SqlStore) -> None:
    add_subscribers(store, [f"r{n}@example.org" for n in range(10)])
    digest_id = add_digest(store)
    first = store.claim_deliveries(digest_id, "a", NOW, 4, IDS)
    second = store.claim_deliveries(digest_id, "b", NOW, 4, IDS)
    assert [job.email for job in first] == [f"r{n}@example.org" for n in range(4)]
    assert {job.id for job in first}.isdisjoint(job.id for job in second)
    assert first[0].message_id == f"<digest-2026-W48.{first[0].subscriber_id}.n0nce@example.com>"
    assert store.claim_deliveries(digest_id, "c", NOW, 4, IDS)[-1].email == "r9@example.org"
    assert store.claim_deliveries(digest_id, "c", NOW, 4, IDS) == []


def test_on_postgresql_a_locked_row_is_skipped_not_waited_for(
    store: SqlStore, database_url: str
) -> None:
    add_subscribers(store, [f"r{n}@example.org" for n in range(6)])
    digest_id = add_digest(store)
    if store.dialect != "postgresql":
        return  # SQLite: one sender at a time, under db/send.lock (tests/test_send_cli.py)
    # Were the locks waited for, this store would fail after 5 s instead of hanging.
    impatient = SqlStore(
        make_engine(database_url.replace("options=", "options=-clock_timeout%3D5000%20"))
    )
    try:
        with store.engine.begin() as other:  # another sender's open transaction
            locked = other.execute(
                select(Delivery.id).order_by(Delivery.id).limit(3).with_for_update()
            ).all()
            jobs = impatient.claim_deliveries(digest_id, "me", NOW, 6, IDS)
    finally:
        impatient.close()
    assert len(jobs) == 3 and {job.id for job in jobs}.isdisjoint(row.id for row in locked)


def test_retries_come_due_and_results_move_rows_forward(store: SqlStore) -> None:
    add_subscribers(store, ["a@example.org", "b@example.org"])
    digest_id = add_digest(store)
    a, b = store.claim_deliveries(digest_id, "me", NOW, 2, IDS)
    assert stored_message_ids(store) == [None, None], "not before the row is being sent"
    assert advance(store, [], a, "me", NOW) == "sending"
    assert stored_message_ids(store) == [a.message_id, None], "stored before sending"
    later = NOW + timedelta(minutes=5)
    retry = DeliveryResult(
        a.id, a.subscriber_id, DeliveryState.RETRY, 1, error="451", next_attempt_at=later
    )
    assert advance(store, [retry], b, "me", NOW) == "sending"
    sent = DeliveryResult(b.id, b.subscriber_id, DeliveryState.SENT, 1, reply="250 ok")
    advance(store, [sent], None, "me", NOW)
    assert store.claim_deliveries(digest_id, "me", NOW, 5, IDS) == [], "not due yet"
    assert store.next_retry_at(digest_id) == later and store.due_count(digest_id, later) == 1
    (again,) = store.claim_deliveries(digest_id, "me", later, 5, IDS)
    assert again.id == a.id and again.attempts == 1 and again.message_id == a.message_id
    assert advance(store, [], b, "me", later) == "lost", "a sent row is never resent"
    assert store.release_claims(digest_id, "me") == 1
    assert store.delivery_counts(digest_id)[DeliveryState.PENDING] == 1


def test_recovery_trusts_the_journal_and_sends_the_rest_again(store: SqlStore) -> None:
    add_subscribers(store, [f"r{n}@example.org" for n in range(6)])
    digest_id = add_digest(store)
    jobs = store.claim_deliveries(digest_id, "dead", NOW, 6, IDS)
    writer = store.open_delivery_writer("dead")
    assert writer.mark([], jobs[:4], NOW) == ["sending"] * 4
    writer.close()
    before = store.database_now()
    store.renew_claims(digest_id, "dead", NOW + timedelta(minutes=1))
    (claim,) = store.delivery_claims()
    assert (claim.claimed_by, claim.rows) == ("dead", 6)
    if before is None:  # SQLite: the sender's clock
        assert claim.last_seen == NOW + timedelta(minutes=1)
    else:  # PostgreSQL: the database's, whatever the sender's says
        after = store.database_now()
        assert claim.last_seen is not None and after is not None
        assert before <= claim.last_seen <= after
    # Of the 4 sending: one accepted, one handed over with no answer, two never handed.
    journaled = Journaled(delivered=frozenset({jobs[0].id}), in_doubt=frozenset({jobs[1].id}))
    recovered = store.recover_claims({"dead": journaled}, NOW)
    assert recovered == Recovered(released=4, delivered=1, resent=1)
    counts = store.delivery_counts(digest_id)
    assert (counts[DeliveryState.SENT], counts[DeliveryState.PENDING]) == (1, 5)
    assert store.resent_after_crash(digest_id) == 1
    late = DeliveryResult(jobs[1].id, jobs[1].subscriber_id, DeliveryState.SENT, 1, reply="250")
    advance(store, [late], None, "dead", NOW)
    assert store.delivery_counts(digest_id)[DeliveryState.SENT] == 1, "no longer its row"


def test_recovery_without_a_journal_sends_every_sending_row_again(store: SqlStore) -> None:
    add_subscribers(store, [f"r{n}@example.org" for n in range(3)])
    digest_id = add_digest(store)
    jobs = store.claim_deliveries(digest_id, "elsewhere", NOW, 3, IDS)
    advance(store, [], jobs[0], "elsewhere", NOW)
    assert store.recover_claims({"elsewhere": None}, NOW) == Recovered(2, 0, 1)
    assert store.recover_claims({"elsewhere": None}, NOW) == Recovered()
    assert store.delivery_counts(digest_id)[DeliveryState.PENDING] == 3
    assert store.resent_after_crash(digest_id) == 1


def test_a_batch_of_marks_is_one_commit_with_an_outcome_per_row(store: SqlStore) -> None:
    add_subscribers(store, [f"r{n}@example.org" for n in range(5)])
    digest_id = add_digest(store)
    mine = store.claim_deliveries(digest_id, "me", NOW, 4, IDS)
    (theirs,) = store.claim_deliveries(digest_id, "other", NOW, 1, IDS)
    with store.engine.begin() as connection:  # r1 leaves after being claimed
        connection.execute(
            update(Subscriber)
            .where(Subscriber.email == "r1@example.org")
            .values(state="unsubscribed")
        )
    writer = store.open_delivery_writer("me")
    try:
        outcomes = writer.mark([], [*mine[:2], theirs, *mine[2:]], NOW)
        assert outcomes == ["sending", "skipped", "lost", "sending", "sending"]
        assert stored_message_ids(store) == [
            mine[0].message_id,
            None,
            *(job.message_id for job in mine[2:]),
            None,
        ]
        sent = DeliveryResult(mine[0].id, mine[0].subscriber_id, DeliveryState.SENT, 1)
        writer.mark([sent], [], NOW, unsent=mine[2:])  # a stop before the last two
    finally:
        writer.close()
    counts = store.delivery_counts(digest_id)
    assert (counts[DeliveryState.SENT], counts[DeliveryState.SKIPPED]) == (1, 1)
    assert (counts[DeliveryState.PENDING], counts[DeliveryState.CLAIMED]) == (2, 1)
    again = store.claim_deliveries(digest_id, "me", NOW, 5, IDS)
    assert [(job.id, job.attempts) for job in again] == [(job.id, 0) for job in mine[2:]]


def advance(
    store: SqlStore,
    finished: Sequence[DeliveryResult],
    start: DeliveryJob | None,
    claimer: str,
    now: datetime,
) -> StartOutcome | None:
    """One commit of a sender's worker, on a writer of its own."""
    writer = store.open_delivery_writer(claimer)
    try:
        return writer.advance(finished, start, now)
    finally:
        writer.close()
