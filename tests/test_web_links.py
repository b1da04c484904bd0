"""The links of emails: confirm and unsubscribe pages (GET shows a button and changes
nothing; POST acts), the RFC 8058 one-click POST, and bad tokens.

The links are made by the mail package's own :class:`Links`, so the paths served here are
exactly the ones emails carry. Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from flask import Flask

from newsletter.config import Settings
from newsletter.store import SqlStore
from newsletter.store.subscribers import SubscriberRecord
from newsletter.subscribers import Links, Tokens, load_tokens
from newsletter.web import UNLIMITED
from tests.support.clock import Clock
from tests.support.web import (
    Browser,
    add_subscriber,
    main_text,
    make_app,
    subscriber,
)

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


@pytest.fixture
def app(settings: Settings, store: SqlStore, clock: Clock) -> Flask:
    return make_app(settings, store, clock, UNLIMITED)


@pytest.fixture
def links(settings: Settings) -> Links:
    return Links(settings.env.base_url, load_tokens(settings.env.secret_key, settings.db_dir))


def path_of(url: str) -> str:
    return urlsplit(url).path


def confirm_path(links: Links, record: SubscriberRecord) -> str:
    return path_of(links.confirm(record.id, record.email_key))


def unsubscribe_path(links: Links, record: SubscriberRecord) -> str:
    return path_of(links.unsubscribe(record.id, record.email_key))


def assert_token_page(response: object) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Robots-Tag"] == "noindex, nofollow"
    assert headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)  # type: ignore[attr-defined]
    assert '<meta name="robots" content="noindex, nofollow">' in html


def test_the_links_emails_carry_are_the_paths_served(links: Links, settings: Settings) -> None:
    assert links.confirm(7, "a@example.com").startswith(settings.env.base_url + "confirm/")
    assert links.unsubscribe(7, "a@example.com").startswith(settings.env.base_url + "unsubscribe/")


def test_opening_the_confirm_link_shows_a_button_and_changes_nothing(
    app: Flask, store: SqlStore, links: Links, clock: Clock
) -> None:
    record = add_subscriber(store, "ann@example.com", "pending", clock.now)
    page = Browser(app).get(confirm_path(links, record))

    assert page.status_code == 200
    assert_token_page(page)
    html = page.get_data(as_text=True)
    assert '<form method="post">' in html and ">Confirm subscription</button>" in html
    assert "ann@example.com" in main_text(page)
    assert subscriber(store, "ann@example.com").state == "pending"


def test_pressing_confirm_subscribes(
    app: Flask, store: SqlStore, links: Links, clock: Clock
) -> None:
    record = add_subscriber(store, "ann@example.com", "pending", clock.now)
    browser = Browser(app)
    path = confirm_path(links, record)
    browser.get(path)

    done = browser.post(path)

    assert done.status_code == 200
    assert_token_page(done)
    assert main_text(done).startswith("You're subscribed")
    after = subscriber(store, "ann@example.com")
    assert after.state == "active" and after.confirmed_at == clock.now
    assert browser.post(path).status_code == 200  # pressing again is harmless


def test_confirm_without_the_form_token_changes_nothing(
    app: Flask, store: SqlStore, links: Links, clock: Clock
) -> None:
    record = add_subscriber(store, "ann@example.com", "pending", clock.now)
    scanner = app.test_client(use_cookies=False)
    assert scanner.post(confirm_path(links, record)).status_code == 403
    assert scanner.post(confirm_path(links, record), data=ONE_CLICK).status_code == 403
    assert subscriber(store, "ann@example.com").state == "pending"


def test_an_old_confirm_link_never_undoes_an_unsubscribe(
    app: Flask, store: SqlStore, links: Links, clock: Clock
) -> None:
    record = add_subscriber(store, "ann@example.com", "unsubscribed", clock.now)
    browser = Browser(app)
    path = confirm_path(links, record)
    shown = browser.get(path)
    assert "This link no longer subscribes" in main_text(shown)
    assert "</button>" not in shown.get_data(as_text=True)
    browser.get("/")
    answer = browser.post(path)  # a POST anyway (an old open tab) changes nothing either
    assert answer.status_code == 200
    assert main_text(answer).startswith("This link no longer subscribes")
    assert subscriber(store, "ann@example.com").state == "unsubscribed"


def test_opening_the_unsubscribe_link_shows_a_button_and_changes_nothing(
    app: Flask, store: SqlStore, links: Links, clock: Clock
) -> None:
    record = add_subscriber(store, "ann@example.com", "active", clock.now)
    page = Browser(app).get(unsubscribe_path(links, record))

    assert page.status_code == 200
    assert_token_page(page)
    assert ">Unsubscribe</button>" in page.get_data(as_text=True)
    assert subscriber(store, "ann@example.com").state == "active"


def test_pressing_unsubscribe_unsubscribes(
    app: Flask, store: SqlStore, links: Links, clock: Clock
) -> None:
    record = add_subscriber(store, "ann@example.com", "active", clock.now)
    browser = Browser(app)
    path = unsubscribe_path(links, record)
    browser.get(path)

    done = browser.post(path)

    assert done.status_code == 200
    assert_token_page(done)
    assert main_text(done).startswith("You're unsubscribed")
    after = subscriber(store, "ann@example.com")
    assert after.state == "unsubscribed" and after.unsubscribed_at == clock.now
    again = browser.get(path)
    assert "is already unsubscribed" in main_text(again)
    assert "</button>" not in again.get_data(as_text=True)


@pytest.mark.parametrize("encoding", ["form", "multipart"])
def test_the_one_click_post_unsubscribes_at_once_with_a_200(
    app: Flask, store: SqlStore, links: Links, clock: Clock, encoding: str
) -> None:
    """RFC 8058: the mail client POSTs List-Unsubscribe=One-Click by itself, without any
    cookie or form token, and must get a 200, not a redirect."""
    record = add_subscriber(store, "ann@example.com", "active", clock.now)
    mail_client = app.test_client(use_cookies=False)
    content_type = "multipart/form-data" if encoding == "multipart" else None

    answer = mail_client.post(
        unsubscribe_path(links, record), data=ONE_CLICK, content_type=content_type
    )

    assert answer.status_code == 200
    assert "Location" not in answer.headers
    assert "Set-Cookie" not in answer.headers
    assert subscriber(store, "ann@example.com").state == "unsubscribed"
    again = mail_client.post(unsubscribe_path(links, record), data=ONE_CLICK)
    assert again.status_code == 200


def test_a_post_without_one_click_or_form_token_changes_nothing(
    app: Flask, store: SqlStore, links: Links, clock: Clock
) -> None:
    record = add_subscriber(store, "ann@example.com", "active", clock.now)
    client = app.test_client(use_cookies=False)
    path = unsubscribe_path(links, record)
    assert client.post(path).status_code == 403
    assert client.post(path, data={"List-Unsubscribe": "Yes"}).status_code == 403
    assert subscriber(store, "ann@example.com").state == "active"


def forged(links: Links, record: SubscriberRecord, other: SubscriberRecord) -> dict[str, str]:
    confirm = confirm_path(links, record)
    unsubscribe = unsubscribe_path(links, record)
    alien = Links("https://news.example.com/", Tokens("another-key-0123456789abcdef"))
    return {
        "altered": unsubscribe[:-3] + ("AAA" if not unsubscribe.endswith("AAA") else "BBB"),
        "cut short": unsubscribe[:-10],
        "other purpose": "/unsubscribe/" + confirm.rsplit("/", 1)[1],
        "other key": path_of(alien.unsubscribe(record.id, record.email_key)),
        "other address": path_of(links.unsubscribe(record.id, other.email_key)),
        "no such subscriber": path_of(links.unsubscribe(999_999, record.email_key)),
        "garbage": "/unsubscribe/not-a-token",
        "very long": "/unsubscribe/" + "A" * 5000,
    }


def test_forged_unsubscribe_tokens_get_a_404_and_change_nothing(
    app: Flask, store: SqlStore, links: Links, clock: Clock
) -> None:
    record = add_subscriber(store, "ann@example.com", "active", clock.now)
    other = add_subscriber(store, "bob@example.com", "active", clock.now)
    browser = Browser(app)
    browser.get("/")
    for name, path in forged(links, record, other).items():
        for answer in (
            browser.get(path),
            browser.post(path),
            app.test_client(use_cookies=False).post(path, data=ONE_CLICK),
        ):
            assert answer.status_code == 404, name
            assert "Not found" in main_text(answer), name
            assert answer.headers["Referrer-Policy"] == "no-referrer", name
    assert {subscriber(store, a).state for a in ("ann@example.com", "bob@example.com")} == {
        "active"
    }


def test_forged_confirm_tokens_get_a_404_and_change_nothing(
    app: Flask, store: SqlStore, links: Links, clock: Clock
) -> None:
    record = add_subscriber(store, "ann@example.com", "pending", clock.now)
    browser = Browser(app)
    browser.get("/")
    good = confirm_path(links, record)
    unsubscribe = unsubscribe_path(links, record)
    for path in (good[:-4], "/confirm/" + unsubscribe.rsplit("/", 1)[1], "/confirm/x"):
        assert browser.get(path).status_code == 404
        assert browser.post(path).status_code == 404
    assert subscriber(store, "ann@example.com").state == "pending"
