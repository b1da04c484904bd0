"""Rate limits bound what abuse costs us (rows stored, emails sent, token guesses), not a
person's typing mistakes: a submission the form sends back to be fixed spends nothing.

Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from newsletter.config import Settings
from newsletter.store import SqlStore
from newsletter.subscribers import Links, load_tokens
from tests.support.clock import Clock
from tests.support.web import Browser, add_subscriber, make_app, outbox, web_settings

EMPTY = {"title": "", "body": "", "name": "", "email": ""}
REAL = {"title": "Shin splints", "body": "They hurt after hills.", "name": "", "email": ""}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return web_settings(tmp_path / "site")


def test_two_empty_questions_and_a_real_one_leave_room_for_the_next(
    settings: Settings, store: SqlStore, clock: Clock
) -> None:
    # The sequence, under the default limit (3 at once, one per 10 minutes).
    asker = Browser(make_app(settings, store, clock))
    asker.get("/ask")
    codes = [asker.post("/ask", form).status_code for form in (EMPTY, EMPTY, REAL)]
    assert codes == [400, 400, 303]
    assert asker.post("/ask", REAL).status_code == 303  # was 429 for ten minutes
    assert len(store.questions(None, 10)) == 2


def test_mistakes_never_run_out_but_stored_questions_do(
    settings: Settings, store: SqlStore, clock: Clock
) -> None:
    asker = Browser(make_app(settings, store, clock))
    asker.get("/ask")
    assert {asker.post("/ask", EMPTY).status_code for _ in range(10)} == {400}
    codes = [asker.post("/ask", REAL).status_code for _ in range(4)]
    assert codes == [303, 303, 303, 429]
    assert len(store.questions(None, 10)) == 3


def test_a_mistyped_address_does_not_spend_a_subscription(
    settings: Settings, store: SqlStore, clock: Clock
) -> None:
    visitor = Browser(make_app(settings, store, clock))  # default: 5 at once
    typos = [visitor.subscribe(typo).status_code for typo in ("", "ann@", "ann example.com")]
    assert typos == [400, 400, 400]
    codes = [visitor.subscribe(f"ann{n}@example.com").status_code for n in range(6)]
    assert codes == [200] * 5 + [429]
    assert len(outbox(settings)) == 5  # what the limit bounds: the emails sent


def test_a_subscribed_address_still_spends_one(
    settings: Settings, store: SqlStore, clock: Clock
) -> None:
    # Otherwise the limit would tell a prober which addresses are on the list.
    visitor = Browser(make_app(settings, store, clock))
    codes = [visitor.subscribe("same@example.com").status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]


def test_bad_links_are_limited_and_good_ones_never_count(
    settings: Settings, store: SqlStore, clock: Clock
) -> None:
    record = add_subscriber(store, "ann@example.com", "active", clock())
    links = Links(settings.env.base_url, load_tokens(settings.env.secret_key, settings.db_dir))
    good = "/" + links.unsubscribe(record.id, record.email_key).removeprefix(settings.env.base_url)
    guesser = Browser(make_app(settings, store, clock))  # default: 10 at once, one more a minute
    assert {guesser.get(good).status_code for _ in range(30)} == {200}
    guesses = [guesser.get(f"/confirm/guess-{n}").status_code for n in range(11)]
    assert guesses == [404] * 10 + [429]
    refused = guesser.get(good)  # the limit is on the address, before any token is read
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "60"
    assert Browser(make_app(settings, store, clock), "198.51.100.3").get(good).status_code == 200
    clock.advance(seconds=60)
    assert guesser.get(good).status_code == 200
