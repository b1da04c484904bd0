"""The console over a real database: access control, CSRF, headers, and each page's
actions, through Flask's test client (one `Browser` per person)."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
from flask import Flask
from sqlalchemy import func, select, update

from newsletter.admin.accounts import add_account
from newsletter.config import FeedConfig, Settings
from newsletter.digest import preview_digest
from newsletter.questions import QuestionInput, ask_question
from newsletter.store import SqlStore
from newsletter.store.bounces import BounceReport
from newsletter.store.entries import EntryStatus
from newsletter.store.models import Delivery, Feed
from newsletter.store.preferences import StoredChoice
from newsletter.store.subscribers import SubscriberState
from newsletter.subscribers import import_subscribers
from newsletter.web import UNLIMITED
from tests.support.clock import Clock
from tests.support.console import PASSWORD, console_app, signed_in
from tests.support.send import queued
from tests.support.web import Browser, add_subscriber, main_text, make_app, outbox, web_settings

OPEN = {"admin.sign_in_form", "admin.sign_in", "admin.stylesheet"}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return web_settings(tmp_path / "site")


@pytest.fixture
def app(settings: Settings, store: SqlStore, clock: Clock) -> Flask:
    return console_app(settings, store, clock)


def admin_routes(app: Flask) -> list[tuple[str, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin.") or rule.endpoint in OPEN:
            continue
        path = re.sub(r"<int:\w+>", "1", rule.rule)
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            found.append((method, path))
    return found


def test_every_route_without_a_session_shows_no_data(
    app: Flask, store: SqlStore, clock: Clock
) -> None:
    ask_question(store, QuestionInput("Secret title", "Body", "Ann", "ann@example.com"), clock())
    routes = admin_routes(app)
    assert len(routes) >= 20
    stranger = Browser(app)
    for method, path in routes:
        answer = stranger.get(path) if method == "GET" else stranger.post(path, {"id": "1"})
        body = answer.get_data(as_text=True)
        if method == "GET":
            assert answer.status_code == 303, path
            assert answer.headers["Location"].startswith("/admin/sign-in?next="), path
        else:
            assert answer.status_code == 403, path
        assert "Secret title" not in body and "ann@example.com" not in body
    assert store.question_counts()[EntryStatus.PENDING] == 1


def test_console_headers_and_cookie(app: Flask) -> None:
    owner = signed_in(app)
    cookie = owner.client.get_cookie("__Secure-newsletter-admin", path="/admin/")
    assert cookie is not None
    assert cookie.http_only and cookie.secure and cookie.same_site == "Strict"
    page = owner.get("/admin/")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert "script-src" not in page.headers["Content-Security-Policy"]
    assert page.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert "<svg" in page.get_data(as_text=True)
    public = owner.get("/")
    assert "X-Robots-Tag" not in public.headers, "the public pages are unchanged"
    assert owner.client.get_cookie("__Secure-newsletter-admin", path="/") is None


def test_a_post_without_its_token_changes_nothing(
    app: Flask, store: SqlStore, clock: Clock
) -> None:
    question = ask_question(store, QuestionInput("Shin splints?", "They hurt."), clock())
    owner = signed_in(app)
    owner.get("/admin/questions")
    refused = owner.client.post(
        "/admin/questions/bulk", data={"action": "approve", "id": str(question.id)}
    )
    assert refused.status_code == 403
    forged = owner.client.post(
        "/admin/questions/bulk",
        data={"action": "approve", "id": str(question.id), "csrf_token": "forged"},
    )
    assert forged.status_code == 403
    assert store.question_counts() == {"pending": 1, "approved": 0, "rejected": 0}
    done = owner.post("/admin/questions/bulk", {"action": "approve", "id": str(question.id)})
    assert done.status_code == 303
    assert store.question_counts()[EntryStatus.APPROVED] == 1


def test_wrong_passwords_throttle_the_web_sign_in(app: Flask) -> None:
    person = Browser(app, "198.51.100.9")
    person.get("/admin/sign-in")
    statuses = []
    for _ in range(20):
        answer = person.post(
            "/admin/sign-in", {"email": "owner@example.com", "password": "nope" * 4}
        )
        statuses.append(answer.status_code)
    assert statuses == [401] * 10 + [429] * 10
    right = person.post("/admin/sign-in", {"email": "owner@example.com", "password": PASSWORD})
    assert right.status_code == 429
    other = person.post("/admin/sign-in", {"email": "mod@example.com", "password": PASSWORD})
    assert other.status_code == 429, "the address is throttled too"
    assert "Too many attempts" in other.get_data(as_text=True)
    unknown = Browser(app, "198.51.100.10")
    unknown.get("/admin/sign-in")
    said = unknown.post("/admin/sign-in", {"email": "who@example.com", "password": PASSWORD})
    wrong = unknown.post("/admin/sign-in", {"email": "mod@example.com", "password": "nope" * 4})
    assert said.status_code == wrong.status_code == 401
    assert said.get_data() == wrong.get_data(), "the same answer for an unknown account"


def test_a_moderator_sees_questions_only(app: Flask, store: SqlStore, clock: Clock) -> None:
    ask_question(store, QuestionInput("Title", "Body", "Ann", "ann@example.com"), clock())
    moderator = signed_in(app, "mod@example.com")
    queue = moderator.get("/admin/questions")
    assert queue.status_code == 200 and "Title" in queue.get_data(as_text=True)
    shown = queue.get_data(as_text=True)
    assert '<p class="question-text">Body</p>' in shown, "the question's text, not only its title"
    assert 'Select<span class="visually-hidden"> “Title”</span>' in shown, "named by the question"
    assert "ann@example.com" not in queue.get_data(as_text=True), "the owner's to see"
    for path in ("/admin/", "/admin/subscribers", "/admin/digest", "/admin/subscribers.csv",
                 "/admin/activity", "/admin/digest/email"):  # fmt: skip
        assert moderator.get(path).status_code == 403, path
    assert moderator.post("/admin/digest/test").status_code == 403
    assert moderator.post("/admin/subscribers/add", {"email": "x@example.com"}).status_code == 403
    assert store.subscriber_counts()[SubscriberState.PENDING] == 0


def test_a_revoked_session_stops_at_once(app: Flask) -> None:
    laptop = signed_in(app)
    phone = signed_in(app, address="203.0.113.8")
    assert laptop.get("/admin/").status_code == 200
    phone.get("/admin/account")
    assert phone.post("/admin/sign-out-everywhere").status_code == 303
    assert laptop.get("/admin/").status_code == 303
    assert phone.get("/admin/").status_code == 303
    again = signed_in(app)
    again.get("/admin/")
    assert again.post("/admin/sign-out").status_code == 303
    assert again.get("/admin/").status_code == 303


def test_answer_is_published_in_the_feeds_and_the_digest(
    app: Flask, store: SqlStore, clock: Clock
) -> None:
    question = ask_question(store, QuestionInput("Shin splints?", "They hurt.", "Ann"), clock())
    owner = signed_in(app)
    owner.get(f"/admin/questions/{question.id}")
    saved = owner.post(f"/admin/questions/{question.id}", {
        "title": "Shin splints again?", "body": "They hurt.",
        "answer": "Rest for a week.\n\nThen run on grass.", "action": "approve",
    })  # fmt: skip
    assert saved.status_code == 303
    notice = owner.get(saved.headers["Location"]).get_data(as_text=True)
    assert (
        f"question {question.id} saved (title or text edited, answer saved) and approved: it "
        "is in the feeds after the next publish, and in the next digest"
    ) in notice, "says what changed"
    clock.advance(minutes=1)  # the next digest covers what was approved before now
    feed = owner.get("/feed.xml").get_data(as_text=True)
    assert "Shin splints again?" in feed and "Rest for a week." in feed
    assert "Our answer" in owner.get("/feed.json").get_data(as_text=True)
    email = owner.get("/admin/digest/email").get_data(as_text=True)
    assert "Reader question of the week" in email and "Then run on grass." in email
    text = owner.get("/admin/digest/email?format=text").get_data(as_text=True)
    assert "READER QUESTION OF THE WEEK" in text
    activity = owner.get("/admin/activity").get_data(as_text=True)
    assert "answered question" in activity and "approved question" in activity


def test_send_a_test_to_me_records_no_delivery(
    app: Flask, settings: Settings, store: SqlStore
) -> None:
    owner = signed_in(app)
    owner.get("/admin/digest")
    sent = owner.post("/admin/digest/test")
    assert sent.status_code == 303
    mails = outbox(settings)
    assert [m.to for m in mails] == ["owner@example.com"]
    assert str(mails[0].message["Subject"]).startswith("[Test] ")
    with store.engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Delivery)) == 0


def test_the_email_preview_is_tall_and_resizable(app: Flask) -> None:
    """Issue 19: the preview was a frame 640 pixels high, whatever the window."""
    owner = signed_in(app)
    page = owner.get("/admin/digest").get_data(as_text=True)
    frames = re.findall(r'<div class="frame (\w+)">\s*<iframe ([^>]*)>', page)
    assert [name for name, _ in frames] == ["phone", "desktop"]
    assert all("height=" not in attributes for _, attributes in frames), "no fixed height"
    assert '<a href="/admin/digest/email" target="_blank" rel="noopener">' in page
    css = owner.get(re.findall(r'<link rel="stylesheet" href="([^"]+)"', page)[0]).text
    rule = re.search(r"\.frame \{([^}]*)\}", css)
    assert rule is not None
    assert "resize: both" in rule[1] and "height: 85vh" in rule[1] and "overflow: hidden" in rule[1]
    assert ".frame.phone { width: 390px; }" in css and ".frame.desktop { width: 700px; }" in css
    assert "width: 100%; height: 100%" in css.split("iframe.email {", 1)[1].split("}")[0]


def test_the_next_digest_card_names_the_exercise_once(
    app: Flask, settings: Settings, store: SqlStore, clock: Clock
) -> None:
    """Issue 19: the card showed the subject (which names the exercise), then "exercise: …"."""
    owner = signed_in(app)
    page = owner.get("/admin/").get_data(as_text=True)
    card = re.search(r"<h2>Next digest</h2>(.*?)</section>", page, re.S)
    assert card is not None
    name = preview_digest(settings, store, clock()).exercise.name
    assert card[1].count(name) == 1, card[1]
    assert "item(s)" not in card[1]


def test_pin_a_week(app: Flask, store: SqlStore, clock: Clock) -> None:
    owner = signed_in(app)
    page = owner.get("/admin/digest").get_data(as_text=True)
    slug = re.findall(r'<option value="([a-z0-9-]+)">', page)[-1]
    pinned = owner.post("/admin/digest/pin", {"slug": slug, "week": "2026-W49"})
    assert pinned.status_code == 303
    assert store.featured_weeks()["2026-W49"].pinned


def test_subscribers_add_search_export_and_erase(
    app: Flask, settings: Settings, store: SqlStore, clock: Clock
) -> None:
    add_subscriber(store, "bob@example.com", "active", clock())
    asked = ask_question(store, QuestionInput("Q", "Body", "Ann", "ann@example.com"), clock())
    owner = signed_in(app)
    owner.get("/admin/subscribers")
    added = owner.post("/admin/subscribers/add", {"email": "Ann@Example.com"})
    assert added.status_code == 303
    assert [m.to for m in outbox(settings)] == ["Ann@example.com"], "double opt-in"
    found = owner.get("/admin/subscribers?q=ANN&state=pending").get_data(as_text=True)
    assert "Ann@example.com" in found and "bob@example.com" not in found
    csv = owner.get("/admin/subscribers.csv")
    assert csv.headers["Content-Type"].startswith("text/csv")
    assert "bob@example.com" in csv.get_data(as_text=True)
    ann = store.subscriber("ann@example.com")
    assert ann is not None
    owner.get(f"/admin/subscribers/{ann.id}")
    kept = owner.post(f"/admin/subscribers/{ann.id}/erase", {})
    assert kept.status_code == 303 and store.subscriber("ann@example.com") is not None
    erased = owner.post(f"/admin/subscribers/{ann.id}/erase", {"confirm": "erase"})
    assert erased.status_code == 303
    assert store.subscriber("ann@example.com") is None
    assert store.is_suppressed("ann@example.com")
    report = import_subscribers(store, ["email", "ann@example.com", "cat@example.com"], clock())
    assert store.subscriber("ann@example.com") is None, "no import brings them back"
    assert store.subscriber("cat@example.com") is not None
    assert report.bad == []
    activity = owner.get("/admin/activity").get_data(as_text=True)
    assert "Ann@example.com" not in activity and "(erased on request)" in activity
    question = store.question(asked.id)
    assert question is not None and question.author_email is None
    mails = len(outbox(settings))
    again = Browser(app, "198.51.100.77")
    assert again.subscribe("ann@example.com").status_code == 200, "the usual answer"
    assert store.subscriber("ann@example.com") is None
    assert len(outbox(settings)) == mails


def test_try_a_failing_feed_now(store: SqlStore, clock: Clock, tmp_path: Path) -> None:
    broken = FeedConfig(
        name="Broken", kind="articles", key="https://b.example/f", url="https://b.example/f"
    )
    settings = web_settings(tmp_path / "site")
    site = dataclasses.replace(settings, feeds=(broken,))  # in feeds.yaml: not retired
    add_account(store, "owner@example.com", "owner", PASSWORD, clock())
    app = make_app(site, store, clock, rate_limits=UNLIMITED)
    feed = store.sync_feeds([broken], clock())[0]
    later = clock.now.replace(year=2027)
    store.save_feed_state(
        dataclasses.replace(
            feed, consecutive_failures=3, last_error="HTTP 500", next_attempt_at=later
        )
    )
    owner = signed_in(app)
    page = owner.get("/admin/").get_data(as_text=True)
    assert "HTTP 500" in page and "Try Broken now" in page
    assert owner.post(f"/admin/feeds/{feed.id}/try-now").status_code == 303
    with store.engine.connect() as connection:
        when = connection.scalar(select(Feed.next_attempt_at).where(Feed.id == feed.id))
    assert when is not None and when.replace(tzinfo=clock.now.tzinfo) == clock.now


def test_two_factor_enrolled_from_the_console(app: Flask, store: SqlStore, clock: Clock) -> None:
    owner = signed_in(app)
    owner.get("/admin/account")
    shown = owner.post("/admin/account/two-factor").get_data(as_text=True)
    secret = re.search(r'<p class="secret"><code>([A-Z2-7]+)</code>', shown)
    signed = re.search(r'name="signed" value="([^"]+)"', shown)
    assert secret and signed
    wrong = owner.post("/admin/account/two-factor/confirm", {"signed": signed[1], "code": "1"})
    assert "wrong code" in owner.get(wrong.headers["Location"]).get_data(as_text=True)
    forged = owner.get("/admin/account?done=Call+us+now").get_data(as_text=True)
    assert "Call us now" not in forged, "a notice is signed"
    assert store.admin("owner@example.com").totp_secret is None  # type: ignore[union-attr]
    code = pyotp.TOTP(secret[1]).at(clock())
    owner.post("/admin/account/two-factor/confirm", {"signed": signed[1], "code": code})
    assert store.admin("owner@example.com").totp_secret == secret[1]  # type: ignore[union-attr]
    person = Browser(app, "192.0.2.4")
    person.get("/admin/sign-in")
    again = {"email": "owner@example.com", "password": PASSWORD, "code": code}
    assert person.post("/admin/sign-in", again).status_code == 401, "the enrolment code is spent"
    clock.advance(seconds=60)
    without = person.post("/admin/sign-in", {"email": "owner@example.com", "password": PASSWORD})
    assert without.status_code == 401
    fresh = pyotp.TOTP(secret[1]).at(clock())
    signed_in_now = person.post(
        "/admin/sign-in", {"email": "owner@example.com", "password": PASSWORD, "code": fresh}
    )
    assert signed_in_now.status_code == 303


def test_past_digests_show_delivery_and_complaint_counts(
    app: Flask, store: SqlStore, clock: Clock
) -> None:
    digest_id, _emails = queued(store, 3)
    with store.engine.begin() as connection:
        first = connection.scalar(
            select(func.min(Delivery.id)).where(Delivery.digest_id == digest_id)
        )
        # A complaint acts only on a delivery that went out (issue 24): this one did.
        connection.execute(
            update(Delivery).where(Delivery.id == first).values(state="sent", sent_at=clock())
        )
    report = BounceReport("mid:<c1@isp>", "complaint", ref_kind="digest", ref_id=first)
    assert store.record_bounce(report, clock(), soft_limit=3) is not None
    owner = signed_in(app)
    page = owner.get("/admin/digest").get_data(as_text=True)
    past = page.split("Past digests", 1)[1]
    row = re.search(r"<tr><td>2026-W48</td>.*?</tr>", past)
    assert row is not None
    cells = re.findall(r"<td>([^<]*)</td>", row[0])
    # week, subject, sent, failed, unknown, waiting, bounced, unsubscribed, complaints
    assert cells[2:] == ["1", "0", "0", "2", "0", "0", "1"], cells


def test_a_next_with_a_line_break_is_ignored(app: Flask) -> None:
    """next=/admin/%0d%0aX:1 raised ValueError building the Location header (issue 24, 7)."""
    person = Browser(app, "203.0.113.7")
    assert person.get("/admin/sign-in?next=/admin/%0d%0aX:1").status_code == 200
    answer = person.post(
        "/admin/sign-in",
        {"email": "owner@example.com", "password": PASSWORD, "next": "/admin/\r\nX:1"},
    )
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/admin/"
    assert "X" not in answer.headers


def test_the_console_counts_readers_choices_and_shows_each_readers_changes(
    app: Flask, store: SqlStore, clock: Clock
) -> None:
    ann = add_subscriber(store, "ann@example.com", "active", clock())
    add_subscriber(store, "bob@example.com", "active", clock())
    add_subscriber(store, "cy@example.com", "pending", clock())
    until = clock() + timedelta(weeks=4)
    chosen = StoredChoice("fmt=text;off=exercise", "monthly", until)
    assert store.save_choice(ann.id, chosen, ["now monthly", "plain text only"], clock())
    owner = signed_in(app)

    listed = main_text(owner.get("/admin/subscribers"))
    assert "What the 2 active readers chose" in listed
    for line in (
        "Every week 1",
        "Once a month 1",
        "Designed email 1",
        "Plain text only 1",
        "Paused now 1",
        "The foot exercise of the week 1",
        "Reader questions and answers 2",
    ):
        assert line in listed, line
    person = main_text(owner.get(f"/admin/subscribers/{ann.id}"))
    assert "Gets: once a month, plain text only, without The foot exercise of the week" in person
    assert f"Paused until {until:%Y-%m-%d}" in person
    assert "now monthly" in person and "plain text only" in person
