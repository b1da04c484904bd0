"""The asker's email (issue 19): who asked a question, gave an address and agreed on the ask
form, gets one email when it is answered and published, with the link to its page; once,
through the real transport and the store's ledger."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from newsletter.mail.answers import AnswerReport, decide, tell_askers
from newsletter.questions import QuestionInput, ask_question, moderate
from newsletter.run import RunReport, run_after_collect
from newsletter.store import SqlStore
from newsletter.store.once_emails import MAX_ATTEMPTS, OnceEmail, OnceEmailState
from newsletter.store.questions import QuestionRecord
from newsletter.web import UNLIMITED
from tests.support.clock import Clock
from tests.support.send import BASE_URL, Recorder, site
from tests.support.web import Browser, make_app, web_settings

ANSWER = OnceEmail.ANSWER


def answered(
    store: SqlStore, clock: Clock, email: str = "ann@example.com", notify: bool = True
) -> QuestionRecord:
    given = QuestionInput("Shin splints?", "They hurt.", "Ann", email, notify=notify)
    question = ask_question(store, given, clock())
    moderate(store, question.id, "approve", clock())
    store.answer_question(question.id, "<p>Rest a week.</p>", clock())
    return question


def test_the_asker_is_told_once_with_the_link(
    store: SqlStore, clock: Clock, tmp_path: Path, smtp: tuple[Recorder, str]
) -> None:
    recorder, url = smtp
    settings, _ = site(tmp_path / "site", smtp_url=url)
    question = answered(store, clock)
    answered(store, clock, email="bo@example.com", notify=False)  # did not agree
    answered(store, clock, email="", notify=False)  # gave no address
    waiting = ask_question(
        store, QuestionInput("Hills?", "Steep.", "Cy", "cy@example.com", notify=True), clock()
    )
    store.answer_question(waiting.id, "<p>Walk them.</p>", clock())  # answered, not approved

    report = tell_askers(settings, store, clock)
    assert (report.told, report.retry, report.failed) == (1, 0, 0)
    assert report.summary() == "answers: 1 asker(s) told their question is answered"
    assert recorder.recipients() == ["ann@example.com"]
    message = recorder.messages[0].message
    assert str(message["Subject"]) == "Your question is answered: Shin splints?"
    assert str(message["To"]) == "Ann <ann@example.com>"
    text = message.get_body(("plain",))
    assert text is not None and f"{BASE_URL}questions/{question.id}\r\n" in text.get_content()
    html = message.get_body(("html",))
    assert html is not None and f'href="{BASE_URL}questions/{question.id}"' in html.get_content()
    assert store.once_email_state(ANSWER, question.id) == OnceEmailState.SENT

    again = tell_askers(settings, store, clock)
    assert again == AnswerReport() and again.summary() == "answers: no asker to tell"
    store.answer_question(question.id, "<p>Rest two weeks.</p>", clock())  # a new answer
    assert tell_askers(settings, store, clock).told == 0, "one email, whatever is edited"
    assert len(recorder.messages) == 1


def test_a_claimed_email_is_never_sent_twice(
    store: SqlStore, clock: Clock, tmp_path: Path, smtp: tuple[Recorder, str]
) -> None:
    recorder, url = smtp
    settings, _ = site(tmp_path / "site", smtp_url=url)
    question = answered(store, clock)
    assert store.claim_once_email(ANSWER, question.id, clock())
    assert not store.claim_once_email(ANSWER, question.id, clock()), "a second claimer gets nothing"
    # The first claimer died before recording what the server said: in doubt, left alone.
    assert tell_askers(settings, store, clock).told == 0
    assert recorder.messages == []
    assert store.once_email_state(ANSWER, question.id) == OnceEmailState.SENDING


def test_a_server_that_cannot_be_reached_is_tried_again_then_given_up(
    store: SqlStore, clock: Clock, tmp_path: Path, smtp: tuple[Recorder, str]
) -> None:
    settings, _ = site(tmp_path / "site", smtp_url="smtp://127.0.0.1:1")
    question = answered(store, clock)
    first = tell_askers(settings, store, clock)
    assert (first.told, first.retry) == (0, 1)
    assert "cannot connect" in first.summary()
    assert store.once_email_state(ANSWER, question.id) == OnceEmailState.RETRY
    for _ in range(MAX_ATTEMPTS - 1):
        tell_askers(settings, store, clock)
    assert store.once_email_state(ANSWER, question.id) == OnceEmailState.FAILED
    recorder, url = smtp
    working, _ = site(tmp_path / "working", smtp_url=url)
    assert tell_askers(working, store, clock).told == 0, "given up: not sent later"
    assert recorder.messages == []


def test_a_greylisted_email_goes_at_the_next_run(
    store: SqlStore, clock: Clock, tmp_path: Path, smtp: tuple[Recorder, str]
) -> None:
    recorder, url = smtp
    recorder.tempfail_once.add("ann@example.com")
    settings, _ = site(tmp_path / "site", smtp_url=url)
    question = answered(store, clock)
    assert tell_askers(settings, store, clock).retry == 1
    assert tell_askers(settings, store, clock).told == 1
    assert recorder.recipients() == ["ann@example.com"]
    assert store.once_email_state(ANSWER, question.id) == OnceEmailState.SENT


def test_run_tells_the_asker_after_publishing(
    store: SqlStore, clock: Clock, tmp_path: Path, smtp: tuple[Recorder, str]
) -> None:
    recorder, url = smtp
    settings, _ = site(tmp_path / "site", smtp_url=url)
    question = answered(store, clock)
    report = run_after_collect(settings, store, clock, RunReport())
    steps = list(report.steps)
    assert steps.index("publish") < steps.index("send") < steps.index("answers")
    assert "answers: 1 asker(s) told" in "\n".join(report.lines())
    assert (settings.root / "public" / f"questions/{question.id}.html").exists()
    assert recorder.recipients() == ["ann@example.com"]


def test_decide() -> None:
    assert decide("sent", 1) == OnceEmailState.SENT
    assert decide("retry", 1) == OnceEmailState.RETRY
    assert decide("retry", MAX_ATTEMPTS) == OnceEmailState.FAILED
    assert decide("failed", 1) == decide("bounced", 1) == OnceEmailState.FAILED


@pytest.fixture
def app(tmp_path: Path, store: SqlStore, clock: Clock) -> Flask:
    return make_app(web_settings(tmp_path / "web"), store, clock, rate_limits=UNLIMITED)


def test_the_ask_form_asks_for_consent(app: Flask, store: SqlStore) -> None:
    visitor = Browser(app)
    form = visitor.get("/ask").get_data(as_text=True)
    assert '<input type="checkbox" id="f-notify" name="notify" value="yes"' in form
    assert '<label for="f-notify">Email me once when it is answered</label>' in form
    without = visitor.post("/ask", {"title": "Q?", "body": "B.", "notify": "yes"})
    assert without.status_code == 400
    said = without.get_data(as_text=True)
    assert "give your email address to hear when it is answered" in said
    assert 'name="notify" value="yes" checked' in said, "the choice is kept"
    assert store.questions(None, 10) == []
    kept = visitor.post(
        "/ask", {"title": "Q?", "body": "B.", "email": "ann@example.com", "notify": "yes"}
    )
    assert kept.status_code == 303
    visitor.post("/ask", {"title": "R?", "body": "B.", "email": "bo@example.com"})
    wants = {q.author_email: q.asker_wants_answer for q in store.questions(None, 10)}
    assert wants == {"ann@example.com": True, "bo@example.com": False}
