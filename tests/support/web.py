"""What the web tests share (this module holds no tests): a site folder, an app over the
``store`` fixture's real database, and a test client that behaves like one person's
browser (it keeps its cookie and sends back the form token of the last page it saw).

Emails go to the outbox folder (no SMTP server configured), which is the real transport
the confirmation email uses when NEWSLETTER_SMTP_URL is unset.
"""

from __future__ import annotations

import email
import email.policy
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from newsletter.config import Settings, load_settings
from newsletter.store import SqlStore
from newsletter.store.subscribers import (
    NewSubscriber,
    SubscriberRecord,
    SubscriberSource,
    SubscriberState,
)
from newsletter.subscribers import Links, Tokens, load_tokens
from newsletter.web import RateLimits, create_app
from newsletter.web.server import Server

SECRET = "web-tests-secret-key-0123456789abcdef"
BASE_URL = "https://news.example.com/"
SITE = """\
site:
  title: Best Running Tips
  url: https://www.example.com/
  description: Running tips, training plans and answers to readers' questions
  language: en-GB
newsletter:
  from: Best Running Tips <news@example.com>
  send_on: monday 07:00
  timezone: Europe/London
feeds: []
"""
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
CONFIRM_LINK = re.compile(r"https?://\S+/confirm/[A-Za-z0-9._-]+")


@contextmanager
def serving(server: Server) -> Iterator[Server]:
    """``server`` serving from a thread of its own for the block, then closed (its own loop
    closes its sockets) and its thread joined."""
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.close()
        thread.join(timeout=30)


def web_settings(root: Path, base_url: str = BASE_URL, **env: str) -> Settings:
    root.mkdir(parents=True, exist_ok=True)
    (root / "feeds.yaml").write_text(SITE, encoding="utf-8")
    environ = {
        "NEWSLETTER_SECRET_KEY": SECRET,
        "NEWSLETTER_BASE_URL": base_url,
        "NEWSLETTER_OUTBOX": "outbox",  # the emails, to read back (no SMTP server here)
        **env,
    }
    return load_settings(root / "feeds.yaml", environ)


def make_app(
    settings: Settings,
    store: SqlStore,
    clock: Callable[[], datetime],
    rate_limits: RateLimits | None = None,
) -> Flask:
    app = create_app(settings, store, clock, rate_limits=rate_limits)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a bug shows as the 500 page, as in production
    return app


class Browser:
    """One visitor: their cookie jar, their address, and the form token of their last page.

    Posts are buffered, so the work a route leaves for after its response (the
    confirmation email) is done when ``post`` returns, as a real server does it right
    after the last byte."""

    def __init__(self, app: Flask, address: str = "203.0.113.7") -> None:
        self.client: FlaskClient = app.test_client()
        self.environ = {"REMOTE_ADDR": address}
        self.token: str | None = None

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        response = self.client.get(path, environ_base=self.environ, **kwargs)
        found = TOKEN.search(response.get_data(as_text=True))
        if found:
            self.token = found.group(1)
        return response

    def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> TestResponse:
        fields = dict(data or {})
        if self.token is not None:
            fields.setdefault("csrf_token", self.token)
        return self.client.post(
            path, data=fields, environ_base=self.environ, buffered=True, **kwargs
        )

    def subscribe(self, address: str, **extra: str) -> TestResponse:
        if self.token is None:
            self.get("/")
        return self.post("/", {"email": address, **extra})


@dataclass(frozen=True)
class Mail:
    path: Path
    message: EmailMessage

    @property
    def to(self) -> str:
        return str(self.message["To"])

    def text(self) -> str:
        part = self.message.get_body(("plain",))
        assert part is not None
        return str(part.get_content())

    def confirm_path(self) -> str:
        found = CONFIRM_LINK.search(self.text())
        assert found, self.text()
        return urlsplit(found.group(0)).path


def outbox(settings: Settings) -> list[Mail]:
    folder = settings.env.outbox
    if folder is None or not folder.exists():
        return []
    mails = []
    for path in sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns):
        parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        mails.append(Mail(path, parsed))
    return mails


def add_subscriber(
    store: SqlStore, address: str, state: str, now: datetime, source: str = "cli"
) -> SubscriberRecord:
    record = store.create_subscriber(
        NewSubscriber(
            address, address.lower(), None, SubscriberState(state), SubscriberSource(source)
        ),
        now,
    )
    assert record is not None
    return record


def subscriber(store: SqlStore, address: str) -> SubscriberRecord:
    found = store.subscriber(address.lower())
    assert found is not None, f"{address} is not on file"
    return found


def main_text(response: TestResponse) -> str:
    """The page's <main>, tags removed and spaces collapsed: what a reader reads."""
    page = response.get_data(as_text=True)
    start, end = page.find("<main"), page.find("</main>")
    inner = page[start:end] if start >= 0 else page
    return " ".join(re.sub(r"<[^>]+>", " ", inner).split())


def preferences_path(settings: Settings, subscriber_id: int, email_key: str) -> str:
    """The path of the reader's preferences link, as emails carry it."""
    links = Links(settings.env.base_url, load_tokens(settings.env.secret_key, settings.db_dir))
    return urlsplit(links.preferences(subscriber_id, email_key)).path


def forged_preferences_paths(
    settings: Settings, reader: SubscriberRecord, other: SubscriberRecord
) -> dict[str, str]:
    """Name: a preferences path that must name nobody: ``reader``'s link altered, made
    with another key or for ``other``'s address, an unsubscribe token, garbage."""
    good = preferences_path(settings, reader.id, reader.email_key)
    alien = Links(settings.env.base_url, Tokens("another-key-0123456789abcdef"))
    links = Links(settings.env.base_url, load_tokens(settings.env.secret_key, settings.db_dir))
    unsubscribe = links.unsubscribe(reader.id, reader.email_key)
    return {
        "altered": good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB"),
        "other key": urlsplit(alien.preferences(reader.id, reader.email_key)).path,
        "other address": preferences_path(settings, reader.id, other.email_key),
        "unsubscribe token": "/preferences/" + unsubscribe.rsplit("/", 1)[1],
        "garbage": "/preferences/not-a-token",
    }
