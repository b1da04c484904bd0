"""The console's tests share (no tests here): an app with an owner and a moderator, and a
browser signed in as one of them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import Flask

from newsletter.admin.accounts import add_account
from newsletter.config import Settings
from newsletter.store import SqlStore
from newsletter.web import UNLIMITED
from tests.support.web import Browser, make_app

PASSWORD = "correct horse battery staple"


def console_app(settings: Settings, store: SqlStore, clock: Callable[[], datetime]) -> Flask:
    """The app, with owner@example.com (an owner) and mod@example.com (a moderator)."""
    add_account(store, "owner@example.com", "owner", PASSWORD, clock())
    add_account(store, "mod@example.com", "moderator", PASSWORD, clock())
    return make_app(settings, store, clock, rate_limits=UNLIMITED)


def signed_in(
    app: Flask, email: str = "owner@example.com", address: str = "203.0.113.7"
) -> Browser:
    person = Browser(app, address)
    person.get("/admin/sign-in")
    answer = person.post("/admin/sign-in", {"email": email, "password": PASSWORD})
    assert answer.status_code == 303, answer.get_data(as_text=True)
    return person
