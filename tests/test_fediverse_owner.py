"""What the owner sees of the fediverse account (issue 23): followers, recent replies and
delivery health, in the console (/admin/fediverse and the overview's card) and in
`newsletter status --json`, over the real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

import pytest
from click.testing import CliRunner
from flask import Flask

from newsletter.admin.accounts import add_account
from newsletter.admin.overview import attention, run_story
from newsletter.cli import cli
from newsletter.config import Settings, load_settings
from newsletter.fediverse.account import open_account
from newsletter.fediverse.activities import PostContent
from newsletter.fediverse.posts import plan
from newsletter.questions import QuestionInput, check_question
from newsletter.store import SqlStore
from newsletter.store.fediverse import FediBacklog, FediResult, FediState
from newsletter.store.fediverse_replies import RemoteReply
from newsletter.web import UNLIMITED
from tests.support.clock import Clock
from tests.support.fediverse import add_followers
from tests.support.web import SECRET, SITE, Browser, make_app

NOW = datetime(2026, 12, 9, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery staple"
ENVIRON = {"NEWSLETTER_SECRET_KEY": SECRET, "NEWSLETTER_BASE_URL": "https://news.example.com/"}
UP, DOWN, GONE = "https://up.example", "https://down.example", "https://gone.example"


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    (tmp_path / "feeds.yaml").write_text(SITE + "fediverse:\n  username: news\n")
    return load_settings(
        tmp_path / "feeds.yaml", {**ENVIRON, "NEWSLETTER_DATABASE_URL": database_url}
    )


def federated(settings: Settings, store: SqlStore) -> int:
    """Three followers (one server answered, one is down, one refused for good), a post
    sent to them, and a reply kept as a pending question. Returns the question's id."""
    account = open_account(settings, store, NOW)
    add_followers(store, [f"{server}/users/ann/inbox" for server in (UP, DOWN, GONE)], NOW)
    post = PostContent("entry:1", "<p>Hills</p>", "https://www.example.com/hills", NOW)
    store.publish_activities(plan([post], {}, {}, account.identity, NOW), NOW)
    jobs = {job.inbox.split("/users")[0]: job for job in store.claim_fedi_deliveries("t", NOW, 10)}
    later = NOW + timedelta(minutes=5)
    store.finish_fedi_deliveries(
        [
            FediResult(jobs[UP].id, FediState.SENT, 202),
            FediResult(jobs[DOWN].id, FediState.PENDING, None, "down.example: refused", later),
            FediResult(jobs[GONE].id, FediState.FAILED, 404, "no such inbox"),
        ],
        NOW,
    )
    question = check_question(QuestionInput("How far on a rest day?", "How far on a rest day?"))
    reply = RemoteReply(
        note_id=f"{UP}/users/ann/statuses/9",
        in_reply_to="https://news.example.com/actor/notes/entry-1",
        actor=f"{UP}/users/ann",
        handle="@ann@up.example",
        inbox=f"{UP}/users/ann/inbox",
    )
    found = store.add_reply_question(question, reply, NOW + timedelta(minutes=1))
    assert found is not None
    return found


def owner(app: Flask, store: SqlStore, role: Literal["owner", "moderator"] = "owner") -> Browser:
    add_account(store, f"{role}@example.com", role, PASSWORD, NOW)
    person = Browser(app)
    person.get("/admin/sign-in")
    signed = person.post("/admin/sign-in", {"email": f"{role}@example.com", "password": PASSWORD})
    assert signed.status_code == 303
    return person


def test_the_console_shows_followers_replies_and_delivery_health(
    settings: Settings, store: SqlStore
) -> None:
    question = federated(settings, store)
    app = make_app(settings, store, Clock(NOW + timedelta(minutes=2)), rate_limits=UNLIMITED)
    browser = owner(app, store)

    page = browser.get("/admin/fediverse")
    assert page.status_code == 200
    shown = page.get_data(as_text=True)
    for follower in (UP, DOWN, GONE):
        assert f"{follower}/users/ann" in shown
    assert "@ann@up.example" in shown and "How far on a rest day?" in shown
    assert f'href="/admin/questions/{question}"' in shown and "pending" in shown
    assert "Going out; 1 wait for a retry" in shown
    assert DOWN in shown and "down.example: refused" in shown and "2026-12-09 09:05" in shown
    assert f"{GONE}/users/ann/inbox" in shown and "no such inbox" in shown

    overview = browser.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/fediverse"' in overview  # in the navigation, and the card's link
    assert "3 <span>followers</span>" in overview
    assert "Deliveries: retrying, 1 waiting for a retry, 1 given up." in overview
    assert "1 recent reply, 1 awaiting moderation." in overview

    moderator = owner(app, store, "moderator")
    assert moderator.get("/admin/fediverse").status_code == 403


def test_the_page_is_not_there_while_the_account_is_off(
    tmp_path: Path, store: SqlStore, clock: Clock
) -> None:
    (tmp_path / "feeds.yaml").write_text(SITE)
    environ = {"NEWSLETTER_SECRET_KEY": SECRET, "NEWSLETTER_BASE_URL": "https://x.example/"}
    off = load_settings(tmp_path / "feeds.yaml", environ)
    browser = owner(make_app(off, store, clock, rate_limits=UNLIMITED), store)
    assert browser.get("/admin/fediverse").status_code == 404
    assert 'href="/admin/fediverse"' not in browser.get("/admin/").get_data(as_text=True)


def test_status_json_shows_the_fediverse(
    settings: Settings, store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    federated(settings, store)
    for name, value in ENVIRON.items():  # the command reads its own environment
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("NEWSLETTER_DATABASE_URL", settings.env.database_url)
    monkeypatch.setattr("newsletter.cli.status.utcnow", lambda: NOW + timedelta(minutes=2))
    result = CliRunner().invoke(cli, ["--config", str(settings.config_path), "status", "--json"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)["fediverse"]
    assert found["followers"] == 3
    assert {f["actor"] for f in found["newest_followers"]} == {
        f"{server}/users/ann" for server in (UP, DOWN, GONE)
    }
    (reply,) = found["replies"]
    assert (reply["from"], reply["status"], reply["title"]) == (
        "@ann@up.example",
        "pending",
        "How far on a rest day?",
    )
    assert found["deliveries"] == {
        "health": "retrying",
        "due": 0,
        "oldest_due": None,
        "retrying": 1,
        "sending": 0,
        "failed": 1,
    }
    assert found["servers_retrying"] == [
        {
            "server": DOWN,
            "waiting": 1,
            "attempts": 1,
            "next_attempt": "2026-12-09T09:05:00+00:00",
            "last_error": "down.example: refused",
        }
    ]
    assert found["recent_failures"] == [
        {
            "inbox": f"{GONE}/users/ann/inbox",
            "activity": "Create",
            "status": 404,
            "error": "no such inbox",
        }
    ]
    text = CliRunner().invoke(cli, ["--config", str(settings.config_path), "status"])
    assert (
        "fediverse: 3 followers; deliveries retrying, 1 waiting for a retry "
        f"({DOWN}), 1 given up; 1 recent replies, 1 awaiting moderation"
    ) in text.output


def test_federation_in_the_overview_sentences() -> None:
    report: dict[str, object] = {
        "federate": {
            "sent": 40,
            "retrying": 3,
            "failed": 0,
            "followers": 41,
            "unreachable": [DOWN],
            "dropped": [f"{GONE}/inbox (the inbox answered 410 Gone)"],
        },
        "errors": {"federate": "federate: …; BEHIND: 3 deliveries due"},
    }
    assert attention(report, []) == [
        "The federate step failed: federate: …; BEHIND: 3 deliveries due",
        f"1 fediverse server could not be reached: {DOWN}.",
        "1 fediverse inbox dropped (gone, or failing for days).",
    ]
    assert run_story(report) == [
        "Delivered 40 posts to the fediverse (41 followers), 3 to retry, 0 failed."
    ]


def test_delivery_health_in_one_word() -> None:
    def backlog(pending: int, due: int, oldest: datetime | None) -> FediBacklog:
        return FediBacklog(3, pending, due, 0, 0, oldest)

    assert backlog(0, 0, None).health(NOW) == "ok"
    assert backlog(2, 2, NOW - timedelta(minutes=30)).health(NOW) == "ok"  # the next run's
    assert backlog(3, 1, NOW).health(NOW) == "retrying"
    assert backlog(2, 2, NOW - timedelta(hours=2)).health(NOW) == "behind"
