"""Questions: checking, keeping, moderating, and reaching the digest once approved.
On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from newsletter.digest import build_digest
from newsletter.errors import NewsletterError
from newsletter.questions import (
    InvalidQuestion,
    NoSuchQuestion,
    QuestionInput,
    ask_question,
    check_question,
    decide_moderation,
    list_questions,
    moderate,
)
from newsletter.store import NewEntry, SqlStore
from newsletter.store.entries import EntryKind, EntryStatus
from newsletter.store.subscribers import NewSubscriber, SubscriberSource, SubscriberState
from tests.support.clock import Clock
from tests.support.digest import FEEDS, SEND_W47, SEND_W48, site_settings

ASKED = QuestionInput(title="Shin splints?", body="They hurt.", name="Ann", email="Ann@Example.COM")


def test_a_question_is_checked_and_cleaned() -> None:
    new = check_question(
        QuestionInput(title=" Why\x1b[2J  hills? ", body="a\r\nb", name=" ", email=" ")
    )
    assert new.title == "Why[2J hills?"
    assert new.content_html == "<p>a<br>b</p>"
    assert new.author is None and new.author_email is None
    assert new.key.startswith("question:") and len(new.key) == len("question:") + 32
    assert check_question(ASKED).author_email == "Ann@example.com"
    assert check_question(ASKED).key != check_question(ASKED).key


def test_every_problem_is_named_at_once() -> None:
    given = QuestionInput(title="t" * 151, body=" \n ", name="n" * 81, email="not-an-address")
    with pytest.raises(InvalidQuestion) as caught:
        check_question(given)
    problems = caught.value.problems
    assert set(problems) == {"title", "body", "name", "email"}
    assert problems["title"] == "the title has 151 characters; at most 150 fit"
    assert problems["body"] == "write a question"
    assert str(caught.value).startswith("the question was not added: the title has 151")


def test_limits_count_characters_not_bytes() -> None:
    assert check_question(QuestionInput(title="é" * 150, body="ü" * 4000)).title == "é" * 150


@pytest.mark.parametrize(
    ("current", "action", "target"),
    [
        ("pending", "approve", "approved"),
        ("pending", "reject", "rejected"),
        ("approved", "approve", None),
        ("approved", "reject", "rejected"),
        ("rejected", "approve", "approved"),
        ("rejected", "reject", None),
    ],
)
def test_moderation_decisions(current: str, action: str, target: str | None) -> None:
    assert decide_moderation(current, action) == target  # type: ignore[arg-type]


def test_approval_dates_a_web_question_now(store: SqlStore, clock: Clock) -> None:
    asked = ask_question(store, ASKED, clock.now)
    assert asked.status == "pending" and asked.published_at == clock.now
    clock.advance(days=3)

    done = moderate(store, asked.id, "approve", clock.now)

    assert done.changed and done.question.status == "approved"
    assert done.question.published_at == done.question.first_seen_at == clock.now
    assert "approved: it is in the feeds after the next publish" in done.summary()
    clock.advance(days=1)
    again = moderate(store, asked.id, "approve", clock.now)
    assert not again.changed and again.question.published_at == clock.now - timedelta(days=1)
    assert again.summary() == f"question {asked.id} was already approved"


def test_rejecting_and_approving_again(store: SqlStore, clock: Clock) -> None:
    asked = ask_question(store, ASKED, clock.now)
    assert moderate(store, asked.id, "reject", clock.now).question.status == "rejected"
    assert store.latest_entries(10) == []
    clock.advance(hours=1)
    assert moderate(store, asked.id, "approve", clock.now).question.status == "approved"
    [published] = store.latest_entries(10)
    assert published.title == "Shin splints?" and published.kind == "question"


def test_a_feeds_question_keeps_its_date_when_approved(store: SqlStore, clock: Clock) -> None:
    [_, questions_feed] = store.sync_feeds(FEEDS, clock.now)
    feed_entry = NewEntry(
        key="guid:q1", kind=EntryKind.QUESTION, status=EntryStatus.REJECTED, title="From the feed",
        content_hash="h", content_html="<p>Body</p>", published_at=clock.now - timedelta(days=9),
    )  # fmt: skip
    store.save_entries(questions_feed.id, [feed_entry], clock.now)
    [found] = store.questions(None, 10)
    clock.advance(days=1)
    approved = moderate(store, found.id, "approve", clock.now).question
    assert approved.published_at == clock.now - timedelta(days=10)
    assert approved.feed_name == "Readers' questions"


def test_unknown_ids_and_articles_cannot_be_moderated(store: SqlStore, clock: Clock) -> None:
    article = NewEntry(
        key="guid:a",
        kind=EntryKind.ARTICLE,
        status=EntryStatus.APPROVED,
        title="A",
        content_hash="h",
    )
    store.save_entries(None, [article], clock.now)
    article_id = store.latest_entries(1)[0].id
    for question_id in (article_id, 99_999):
        with pytest.raises(NoSuchQuestion, match=f"there is no question {question_id}"):
            moderate(store, question_id, "approve", clock.now)
    assert isinstance(NoSuchQuestion("x"), NewsletterError)


def test_listing_newest_first_and_pending_only(store: SqlStore, clock: Clock) -> None:
    first = ask_question(store, ASKED, clock.now)
    clock.advance(minutes=1)
    second = ask_question(store, QuestionInput("Second", "Body"), clock.now)
    clock.advance(minutes=1)
    third = ask_question(store, QuestionInput("Third", "Body"), clock.now, approved=True)
    moderate(store, first.id, "reject", clock.now)

    assert [q.id for q in list_questions(store, False)] == [third.id, second.id, first.id]
    assert [q.id for q in list_questions(store, True)] == [second.id]
    assert [q.id for q in list_questions(store, False, limit=1)] == [third.id]
    assert store.question_counts() == {"pending": 1, "approved": 1, "rejected": 1}


def test_an_approved_question_is_in_the_next_digest_and_only_once(
    store: SqlStore, tmp_path: Path
) -> None:
    settings = site_settings(tmp_path / "site")
    store.import_changes(
        [
            NewSubscriber(
                "a@example.com", "a@example.com", None, SubscriberState.ACTIVE, SubscriberSource.CLI
            )
        ],
        [],
        SEND_W47,
    )
    # Asked long before the first digest, left pending through it, approved later.
    waiting = ask_question(
        store, QuestionInput("Cadence?", "How many steps?"), SEND_W47 - timedelta(days=20)
    )
    rejected = ask_question(store, QuestionInput("Spam", "Buy shoes"), SEND_W47 - timedelta(days=1))
    moderate(store, rejected.id, "reject", SEND_W47 - timedelta(hours=2))
    first = build_digest(settings, store, SEND_W47, "2026-W47")
    assert first.digest is not None and "Cadence?" not in first.digest.html

    moderate(store, waiting.id, "approve", SEND_W47 + timedelta(days=2))
    second = build_digest(settings, store, SEND_W48, "2026-W48")

    assert second.digest is not None and second.digest.item_count == 1
    assert "Cadence?" in second.digest.html and "Spam" not in second.digest.html
    third = build_digest(settings, store, SEND_W48 + timedelta(weeks=1), "2026-W49")
    assert third.digest is not None and "Cadence?" not in third.digest.html
