"""The web edge (issue 11): invisible questions, HSTS, a confirmation that cannot be sent.

On SQLite and PostgreSQL, through the real app (Flask's test client)."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import pytest
from flask import Flask

from newsletter.store import SqlStore
from newsletter.web import UNLIMITED
from tests.support.clock import Clock
from tests.support.web import Browser, make_app, web_settings


def test_a_question_of_only_invisible_characters_is_refused(
    tmp_path: Path, store: SqlStore, clock: Clock
) -> None:
    browser = Browser(make_app(web_settings(tmp_path / "site"), store, clock, UNLIMITED))
    browser.get("/ask")
    invisible = "\u200b" * 1000
    answer = browser.post(
        "/ask", {"title": "\u200d\ufeff \u2060", "body": invisible, "name": "", "email": ""}
    )
    assert answer.status_code == 400
    assert store.questions(None, 10) == []


@pytest.mark.parametrize(
    ("base", "hsts"), [("https://news.example.com/", True), ("http://127.0.0.1:8000/", False)]
)
def test_hsts_only_when_the_base_url_is_https(
    tmp_path: Path, store: SqlStore, clock: Clock, base: str, hsts: bool
) -> None:
    app = make_app(web_settings(tmp_path / "site", base_url=base), store, clock, UNLIMITED)
    response = Browser(app).get("/")
    assert ("Strict-Transport-Security" in response.headers) is hsts
    if hsts:
        assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_confirmation_that_cannot_be_sent_is_logged(
    tmp_path: Path, store: SqlStore, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    down = f"smtp://127.0.0.1:{closed_port()}"
    app = make_app(
        web_settings(tmp_path / "site", NEWSLETTER_SMTP_URL=down), store, clock, UNLIMITED
    )
    browser = Browser(app)
    browser.get("/")
    with caplog.at_level(logging.WARNING, logger="newsletter.web"):
        answer = browser.post("/", {"email": "ann@example.org"})
    assert answer.status_code == 200
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert any("could not be sent" in r.getMessage() for r in warnings), caplog.text
    subscriber = store.subscriber("ann@example.org")
    assert subscriber is not None and subscriber.confirm_sent_at is None, "retried next time"


def test_waitress_queue_warnings_are_one_line_a_minute(caplog: pytest.LogCaptureFixture) -> None:
    from newsletter.web.quiet_log import OncePerInterval, quiet_queue_warnings
    from newsletter.web.server import make_server

    now = [0.0]
    logger = logging.getLogger("tests.queue")
    logger.addFilter(OncePerInterval(60, clock=lambda: now[0]))
    with caplog.at_level(logging.WARNING, logger="tests.queue"):
        for n in range(1000):
            now[0] = n * 0.1  # 1,000 warnings in 100 s
            logger.warning("Task queue depth is %d", n)
    lines = [r.getMessage() for r in caplog.records if r.name == "tests.queue"]
    assert lines == [
        "Task queue depth is 0",
        "Task queue depth is 600 (599 more like it held back)",
    ]

    server = make_server(Flask("t"), "127.0.0.1", 0)
    server.close()
    quiet_queue_warnings()
    filters = logging.getLogger("waitress.queue").filters
    assert sum(isinstance(f, OncePerInterval) for f in filters) == 1, "installed once"
