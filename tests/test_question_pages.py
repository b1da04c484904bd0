"""An answered question's own page (issue 19): /questions/N was a 404 and the question's
JSON Feed item had no url. Now the app serves the page (from the file publish wrote, else
rendered), the feeds link to it, and a question no longer answered loses it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask

from newsletter.config import Settings
from newsletter.publish import publish_site
from newsletter.questions import QuestionInput, ask_question, moderate
from newsletter.store import SqlStore
from newsletter.store.questions import QuestionRecord
from newsletter.web import UNLIMITED
from tests.support.clock import Clock
from tests.support.web import BASE_URL, Browser, make_app, web_settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return web_settings(tmp_path / "site")


@pytest.fixture
def app(settings: Settings, store: SqlStore, clock: Clock) -> Flask:
    return make_app(settings, store, clock, rate_limits=UNLIMITED)


def asked(store: SqlStore, clock: Clock) -> QuestionRecord:
    given = QuestionInput("Shin splints & hills?", "They hurt on hills.", "Ann", "ann@example.com")
    return ask_question(store, given, clock())


def json_item(app: Flask, title: str) -> dict[str, object]:
    feed = json.loads(Browser(app).get("/feed.json").get_data(as_text=True))
    (item,) = [i for i in feed["items"] if i["title"] == title]
    return dict(item)


def test_an_answered_question_has_a_page_and_the_feeds_link_it(
    app: Flask, store: SqlStore, clock: Clock
) -> None:
    question = asked(store, clock)
    page = f"/questions/{question.id}"
    visitor = Browser(app)
    assert visitor.get(page).status_code == 404, "pending"
    moderate(store, question.id, "approve", clock())
    assert visitor.get(page).status_code == 404, "approved, but not answered"
    before = json_item(app, "Shin splints & hills?")
    assert "url" not in before

    clock.advance(minutes=5)
    store.answer_question(question.id, "<p>Rest a week, then run on grass.</p>", clock())
    shown = visitor.get(page)
    assert shown.status_code == 200
    body = shown.get_data(as_text=True)
    assert "<h1>Shin splints &amp; hills?</h1>" in body
    assert "<p>They hurt on hills.</p>" in body and "Asked by Ann" in body
    assert '<h2 id="answer-title">Our answer</h2>' in body
    assert "<p>Rest a week, then run on grass.</p>" in body
    assert "ann@example.com" not in body, "the asker's address is never published"
    assert 'href="../ask"' in body, "links relative to the page, as the archive's"

    after = json_item(app, "Shin splints & hills?")
    assert after["url"] == f"{BASE_URL}questions/{question.id}"
    assert after["id"] == before["id"], "answering does not make it a new item"
    rss = visitor.get("/feed.xml").get_data(as_text=True)
    assert f"<link>{BASE_URL}questions/{question.id}</link>" in rss

    moderate(store, question.id, "reject", clock())
    assert visitor.get(page).status_code == 404, "rejected: no page"
    assert visitor.get("/questions/x").status_code == 404


def test_publish_writes_the_pages_and_removes_those_no_longer_answered(
    app: Flask, settings: Settings, store: SqlStore, clock: Clock
) -> None:
    question = asked(store, clock)
    moderate(store, question.id, "approve", clock())
    store.answer_question(question.id, "<p>Rest.</p>", clock())
    report = publish_site(settings, store, clock())
    name = f"questions/{question.id}.html"
    assert name in report.written
    published = settings.root / "public" / name
    assert "<p>Rest.</p>" in published.read_text(encoding="utf-8")
    served = Browser(app).get(f"/questions/{question.id}")
    assert served.get_data() == published.read_bytes(), "the file publish wrote"
    assert publish_site(settings, store, clock()).written == [], "unchanged, not rewritten"

    store.answer_question(question.id, None, clock())  # the answer withdrawn
    again = publish_site(settings, store, clock())
    assert again.removed == [name] and not published.exists()
    assert again.as_dict()["removed"] == [name]
    assert Browser(app).get(f"/questions/{question.id}").status_code == 404
