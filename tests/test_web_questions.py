"""The question form on ``/ask``: stored as pending, checked field by field, escaped where
shown, in the feeds only once approved; honeypot, CSRF and rate limit.

Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import feedparser
import pytest
from flask import Flask

from newsletter.config import Settings
from newsletter.questions import moderate
from newsletter.store import SqlStore
from newsletter.web import UNLIMITED
from tests.support.clock import Clock
from tests.support.web import Browser, main_text, make_app

QUESTION = {
    "title": "Shin splints <b>again</b> & again",
    "body": "I run 30 km a week.\n\nMy shins hurt <script>alert(1)</script> after hills.",
    "name": "Ann <Runner>",
    "email": "ann@example.com",
}


@pytest.fixture
def app(settings: Settings, store: SqlStore, clock: Clock) -> Flask:
    return make_app(settings, store, clock, UNLIMITED)


@pytest.fixture
def browser(app: Flask) -> Browser:
    browser = Browser(app)
    browser.get("/ask")
    return browser


def test_the_form_ties_every_label_to_its_field(browser: Browser) -> None:
    html = browser.get("/ask").get_data(as_text=True)
    for name in ("title", "body", "name", "email"):
        assert f'<label for="f-{name}">' in html
        assert f'id="f-{name}" name="{name}"' in html
    assert 'maxlength="150"' in html and 'maxlength="4000"' in html
    assert 'name="website"' in html and 'tabindex="-1"' in html and 'aria-hidden="true"' in html


def test_a_question_is_kept_as_pending_and_thanked_for(
    browser: Browser, store: SqlStore, clock: Clock
) -> None:
    answer = browser.post("/ask", QUESTION)

    assert answer.status_code == 303
    assert answer.headers["Location"] == "/ask/thanks"
    assert main_text(browser.get("/ask/thanks")).startswith("Thank you for your question")
    [question] = store.questions(None, 10)
    assert question.status == "pending"
    assert question.title == "Shin splints <b>again</b> & again"  # kept as text
    assert question.content_html == (
        "<p>I run 30 km a week.</p>"
        "<p>My shins hurt &lt;script&gt;alert(1)&lt;/script&gt; after hills.</p>"
    )
    assert (question.author, question.author_email) == ("Ann <Runner>", "ann@example.com")
    assert question.first_seen_at == clock.now and question.feed_name is None


def test_only_an_approved_question_is_in_the_feeds_and_never_its_email(
    browser: Browser, app: Flask, store: SqlStore, clock: Clock
) -> None:
    browser.post("/ask", QUESTION)
    [question] = store.questions(None, 10)
    assert feedparser.parse(browser.get("/feed.xml").data).entries == []

    clock.advance(hours=2)
    moderate(store, question.id, "approve", clock.now)
    feed = browser.get("/feed.xml")
    parsed = feedparser.parse(feed.data)

    [item] = parsed.entries
    assert item.title == "Shin splints again & again"  # publish keeps titles to plain text
    assert "<script>" not in feed.get_data(as_text=True)
    assert "alert(1)" in item.description  # as escaped text, not as a script
    assert b"ann@example.com" not in feed.data
    for name in ("/atom.xml", "/feed.json"):
        assert b"ann@example.com" not in browser.get(name).data


def test_each_problem_is_shown_beside_its_field_and_the_text_is_kept(
    browser: Browser, store: SqlStore
) -> None:
    answer = browser.post(
        "/ask", {"title": "  ", "body": "x" * 4001, "name": "<i>Ann</i>", "email": "nope"}
    )
    html = answer.get_data(as_text=True)

    assert answer.status_code == 400
    assert "<title>Error: Ask a question" in html
    assert 'role="alert"' in html
    assert '<a href="#f-title">Title: write a title</a>' in html
    assert "the question has 4001 characters; at most 4000 fit" in html
    assert 'aria-describedby="f-email-hint f-email-error"' in html
    assert html.count('aria-invalid="true"') == 3  # title, body, email; the name is fine
    assert 'value="&lt;i&gt;Ann&lt;/i&gt;"' in html  # kept, and escaped
    assert store.questions(None, 10) == []


def test_a_filled_honeypot_is_thanked_and_nothing_is_kept(
    browser: Browser, store: SqlStore
) -> None:
    answer = browser.post("/ask", {**QUESTION, "website": "spam"})
    assert answer.status_code == 303 and answer.headers["Location"] == "/ask/thanks"
    assert store.questions(None, 10) == []


def test_a_question_without_the_form_token_is_refused(app: Flask, store: SqlStore) -> None:
    client = app.test_client()
    client.get("/ask")
    refused = client.post("/ask", data=QUESTION)
    assert refused.status_code == 403
    assert store.questions(None, 10) == []


def test_questions_are_rate_limited_per_address(
    settings: Settings, store: SqlStore, clock: Clock
) -> None:
    asker = Browser(make_app(settings, store, clock))  # default: 3 at once, one per 10 min
    asker.get("/ask")
    codes = [asker.post("/ask", QUESTION).status_code for _ in range(4)]
    assert codes == [303, 303, 303, 429]
    clock.advance(minutes=10)
    assert asker.post("/ask", QUESTION).status_code == 303
    assert len(store.questions(None, 10)) == 4
