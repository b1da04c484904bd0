"""The subscribe form on ``/``: double opt-in, one answer for every address, at most one
confirmation email a day, the honeypot, CSRF and the per-address rate limit.

Every test runs on SQLite and on PostgreSQL (the ``store`` fixture).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from newsletter.config import Settings
from newsletter.store import SqlStore
from newsletter.store.subscribers import SubscriberState
from newsletter.web import RateLimits, create_app
from newsletter.web.signup import send_confirmation_if_due
from tests.support.clock import Clock
from tests.support.send import recording_smtp
from tests.support.web import (
    Browser,
    add_subscriber,
    main_text,
    make_app,
    outbox,
    subscriber,
    web_settings,
)

GENEROUS = RateLimits(subscribe=None, questions=None)


@pytest.fixture
def app(settings: Settings, store: SqlStore, clock: Clock) -> Flask:
    return make_app(settings, store, clock, GENEROUS)


@pytest.fixture
def browser(app: Flask) -> Browser:
    return Browser(app)


def test_the_form_is_on_the_home_page(browser: Browser) -> None:
    page = browser.get("/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<label for="f-email">Email address</label>' in html
    assert 'id="f-email" name="email"' in html and 'type="email"' in html
    assert 'aria-describedby="f-email-hint"' in html
    assert browser.token is not None
    assert 'href="/ask"' in html and 'href="/archive/"' in html and 'href="/feed.xml"' in html


def test_a_new_address_becomes_pending_and_gets_one_confirmation_email(
    browser: Browser, store: SqlStore, settings: Settings, clock: Clock
) -> None:
    answer = browser.subscribe("Ann.Runner@Example.COM")

    assert answer.status_code == 200
    assert main_text(answer).startswith("Check your email")
    record = subscriber(store, "ann.runner@example.com")
    assert (record.state, record.source, record.email) == (
        "pending",
        "web",
        "Ann.Runner@example.com",
    )
    assert record.confirm_sent_at == clock.now
    [mail] = outbox(settings)
    assert mail.to == "Ann.Runner@example.com"
    assert mail.confirm_path().startswith("/confirm/")


def test_every_state_gets_the_same_answer(
    browser: Browser, store: SqlStore, settings: Settings, clock: Clock
) -> None:
    """No enumeration: new, pending, active and unsubscribed addresses get the same status,
    the same headers and the same bytes; only the emails afterwards differ."""
    add_subscriber(store, "pending@example.com", "pending", clock.now)
    add_subscriber(store, "active@example.com", "active", clock.now)
    add_subscriber(store, "left@example.com", "unsubscribed", clock.now)
    browser.get("/")

    answers = {
        state: browser.subscribe(f"{state}@example.com")
        for state in ("new", "pending", "active", "left")
    }

    first = answers["new"]
    for answer in answers.values():
        assert answer.status_code == first.status_code == 200
        assert answer.data == first.data
        assert sorted(answer.headers.keys()) == sorted(first.headers.keys())
        assert "Set-Cookie" not in answer.headers  # the session was made by the GET
    states = {a: subscriber(store, f"{a}@example.com").state for a in answers}
    assert states == {"new": "pending", "pending": "pending", "active": "active", "left": "pending"}
    # The unsubscribed person asked again themselves: they get a confirmation, like a new one.
    assert sorted(m.to for m in outbox(settings)) == [
        "left@example.com",
        "new@example.com",
        "pending@example.com",
    ]


def test_at_most_one_confirmation_email_per_address_per_day(
    browser: Browser, store: SqlStore, settings: Settings, clock: Clock
) -> None:
    browser.subscribe("ann@example.com")
    clock.advance(hours=1)
    browser.subscribe("ann@example.com")
    clock.advance(hours=22, minutes=59)
    browser.subscribe("ANN@example.com")
    assert len(outbox(settings)) == 1

    clock.advance(minutes=1)  # 24 hours after the first
    again = browser.subscribe("ann@example.com")

    assert again.status_code == 200
    assert [m.to for m in outbox(settings)] == ["ann@example.com"] * 2
    assert subscriber(store, "ann@example.com").confirm_sent_at == clock.now


def test_an_active_subscriber_gets_no_email_and_stays_active(
    browser: Browser, store: SqlStore, settings: Settings, clock: Clock
) -> None:
    add_subscriber(store, "active@example.com", "active", clock.now)
    browser.subscribe("Active@Example.com")
    after = subscriber(store, "active@example.com")
    assert (after.state, after.confirm_sent_at) == ("active", None)
    assert outbox(settings) == []


def test_behind_a_proxy_each_visitor_has_their_own_limit(
    settings: Settings, store: SqlStore, clock: Clock
) -> None:
    app = create_app(settings, store, clock, proxies=1)
    proxy = Browser(app, "10.0.0.1")  # every request arrives from the proxy's address
    proxy.get("/")

    def post(visitor: str, n: int) -> int:
        forwarded = {"X-Forwarded-For": visitor}
        return proxy.post("/", {"email": f"{n}@example.com"}, headers=forwarded).status_code

    assert [post("198.51.100.1", n) for n in range(6)] == [200] * 5 + [429]
    assert post("198.51.100.2", 6) == 200


def test_a_claim_is_taken_once(store: SqlStore, clock: Clock) -> None:
    """Two sign-ups of one address at the same moment: the database lets one of them send."""
    record = add_subscriber(store, "ann@example.com", "pending", clock.now)
    assert store.claim_confirmation(record.id, None, clock.now) is True
    assert store.claim_confirmation(record.id, None, clock.now) is False
    store.set_subscriber_state(record.id, SubscriberState.ACTIVE, clock.now)
    later = subscriber(store, "ann@example.com").confirm_sent_at
    assert store.claim_confirmation(record.id, later, clock.now) is False  # no longer pending


def test_a_confirmation_the_server_refuses_can_be_asked_for_again_at_once(
    tmp_path: Path, store: SqlStore, clock: Clock
) -> None:
    with recording_smtp() as (recorder, url):
        settings = web_settings(tmp_path / "smtp-site", NEWSLETTER_SMTP_URL=url)
        record = add_subscriber(store, "full@example.com", "pending", clock.now)
        recorder.reject.add("full@example.com")

        refused = send_confirmation_if_due(settings, store, record.id, clock)
        assert refused is not None and not refused.ok
        assert subscriber(store, "full@example.com").confirm_sent_at is None  # claim given back

        recorder.reject.clear()
        sent = send_confirmation_if_due(settings, store, record.id, clock)
        assert sent is not None and sent.ok
        assert recorder.recipients() == ["full@example.com"]
        assert send_confirmation_if_due(settings, store, record.id, clock) is None


def test_an_invalid_address_is_shown_again_with_the_reason(
    browser: Browser, store: SqlStore, settings: Settings
) -> None:
    answer = browser.subscribe("ann@@example.com")
    html = answer.get_data(as_text=True)

    assert answer.status_code == 400
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="f-email-hint f-email-error"' in html
    assert 'id="f-email-error"' in html and "needs exactly one @" in html
    assert 'value="ann@@example.com"' in html
    assert "<title>Error: Subscribe" in html
    assert store.subscriber_counts()[SubscriberState.PENDING] == 0 and outbox(settings) == []


def test_a_hostile_address_is_escaped_when_shown_again(browser: Browser) -> None:
    answer = browser.subscribe('"><script>alert(1)</script>')
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert "<script>alert(1)" not in html
    assert "&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_filled_honeypot_gets_the_same_page_and_nothing_happens(
    browser: Browser, store: SqlStore, settings: Settings
) -> None:
    real = browser.subscribe("real@example.com")
    bot = browser.subscribe("bot@example.com", website="http://spam.example")

    assert bot.status_code == real.status_code == 200
    assert bot.data == real.data
    assert store.subscriber("bot@example.com") is None
    assert [m.to for m in outbox(settings)] == ["real@example.com"]


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_a_post_without_the_form_token_is_refused(
    app: Flask, store: SqlStore, settings: Settings, token: str | None
) -> None:
    browser = Browser(app)
    browser.get("/")  # has a session cookie, but sends another token (or none)
    data = {"email": "ann@example.com"} | ({} if token is None else {"csrf_token": token})
    refused = browser.client.post("/", data=data, buffered=True)

    assert refused.status_code == 403
    assert "This form has expired" in main_text(refused)
    assert store.subscriber("ann@example.com") is None and outbox(settings) == []


def test_a_post_from_a_browser_without_the_cookie_is_refused(app: Flask, store: SqlStore) -> None:
    first = Browser(app)
    first.get("/")
    stranger = app.test_client(use_cookies=False)  # another site posting our form
    refused = stranger.post("/", data={"email": "a@example.com", "csrf_token": first.token})
    assert refused.status_code == 403
    assert store.subscriber("a@example.com") is None


def test_the_rate_limit_answers_429_then_lets_the_address_in_again(
    settings: Settings, store: SqlStore, clock: Clock
) -> None:
    app = make_app(settings, store, clock)  # the default limits: 5 at once, one per 2 min
    pest, neighbour = Browser(app, "198.51.100.1"), Browser(app, "198.51.100.2")

    answers = [pest.subscribe(f"p{n}@example.com").status_code for n in range(6)]
    assert answers == [200] * 5 + [429]
    limited = pest.subscribe("p6@example.com")
    assert limited.headers["Retry-After"] == "120"
    assert "Too many attempts" in main_text(limited)
    assert store.subscriber("p5@example.com") is None

    assert neighbour.subscribe("n@example.com").status_code == 200  # another address
    clock.advance(seconds=119)
    assert pest.subscribe("p7@example.com").status_code == 429
    clock.advance(seconds=1)
    assert pest.subscribe("p8@example.com").status_code == 200
    assert pest.subscribe("p9@example.com").status_code == 429


def test_the_honeypot_counts_against_the_rate_limit(
    settings: Settings, store: SqlStore, clock: Clock
) -> None:
    bot = Browser(make_app(settings, store, clock))
    codes = [bot.subscribe(f"b{n}@example.com", website="x").status_code for n in range(6)]
    assert codes == [200] * 5 + [429]


def test_only_the_posts_that_prove_themselves_otherwise_skip_the_form_token(app: Flask) -> None:
    # The exemption is declared beside each route (web.security.csrf_exempt); a new POST
    # route is checked unless it says why not, and this list grows only on purpose.
    exempt = {
        name
        for name, view in app.view_functions.items()
        if getattr(view, "_newsletter_csrf_exempt", False)
    }
    assert exempt == {"links.unsubscribe", "hooks.ses", "hooks.mailgun", "fediverse.inbox"}
