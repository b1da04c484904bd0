"""Readers' preferences, sent: twelve simulated weeks (an injected clock) of random changes
of sections, frequency, format and pauses; each reader receives exactly the weeks and items
their preferences at send time say, and no item twice. Every test runs on SQLite and on
PostgreSQL."""

from __future__ import annotations

import email
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import Message
from pathlib import Path

import pytest

from newsletter.config import Settings, load_settings
from newsletter.digest.build import build_digest
from newsletter.digest.variants import variant_source
from newsletter.digest.weeks import shift_week, week_of
from newsletter.mail import SendOptions, send_digest
from newsletter.store import SqlStore
from newsletter.store.deliveries import DeliveryState
from newsletter.store.subscribers import SubscriberState
from newsletter.subscribers.choosing import current_choice, save_choice
from newsletter.subscribers.preferences import (
    EXERCISE,
    PAUSE_WEEKS,
    QUESTIONS,
    Choice,
    first_of_month,
    pause_end,
    sections,
)
from tests.support.clock import Clock
from tests.support.digest import article, question
from tests.support.web import add_subscriber

START = datetime(2026, 9, 28, 7, 0, tzinfo=UTC)  # Monday of 2026-W40, 07:00 in London (BST+1)
WEEKS = 12
READERS = 6
MARATHON, BEGINNER = "feed-marathons", "feed-beginner-tips"
SITE = """\
site:
  title: Best Running Tips
  url: https://www.example.com/
newsletter:
  from: Best Running Tips <news@example.com>
  send_on: monday 07:00
  timezone: UTC
feeds:
  - name: Marathon training
    path: marathon.xml
    section: Marathons
  - name: Beginner tips
    path: beginners.xml
  - name: Readers' questions
    path: questions.xml
    kind: questions
"""


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    root = tmp_path / "site"
    root.mkdir()
    (root / "feeds.yaml").write_text(SITE, encoding="utf-8")
    environ = {
        "NEWSLETTER_SECRET_KEY": "test-secret-key-for-signing-0123456789",
        "NEWSLETTER_BASE_URL": "https://news.example.com/",
        "NEWSLETTER_OUTBOX": "outbox",
    }
    return load_settings(root / "feeds.yaml", environ)


@dataclass
class Expected:
    """What a reader should get, kept the way the preferences page describes it."""

    choice: Choice = field(default_factory=Choice)
    last: str | None = None  # the week of their last digest; a new pause forgets it
    got: list[str] = field(default_factory=list)  # every item title received


def titles_of(week: str) -> dict[str, str]:
    """The week's three entries: title → section."""
    n = week[-2:]
    return {f"Marathon {n}": MARATHON, f"Beginner {n}": BEGINNER, f"Question {n}": QUESTIONS}


def add_week(store: SqlStore, settings: Settings, week: str, send_at: datetime) -> None:
    marathon, beginners, questions = store.sync_feeds(settings.feeds, START - timedelta(weeks=1))
    seen = send_at - timedelta(days=2)
    names = list(titles_of(week))
    store.save_entries(marathon.id, [article(f"m{week}", names[0], seen)], seen)
    store.save_entries(beginners.id, [article(f"b{week}", names[1], seen)], seen)
    store.save_entries(questions.id, [question(week, names[2], seen, None, "<p>?</p>")], seen)


def change(
    rng: random.Random,
    store: SqlStore,
    settings: Settings,
    expected: dict[str, Expected],
    now: datetime,
) -> None:
    """Some readers change their mind, as the preferences page would save it."""
    keys = [s.key for s in sections(settings.feeds)]
    for address, reader in expected.items():
        roll = rng.random()
        if roll > 0.45:
            continue
        before = reader.choice
        if roll < 0.08:
            new = Choice(
                before.off, before.frequency, before.format, pause_end(rng.choice(PAUSE_WEEKS), now)
            )
        elif roll < 0.12 and before.paused(now):
            new = Choice(before.off, before.frequency, before.format, None)
        else:
            off = frozenset(rng.sample(keys, rng.randint(0, len(keys) - 1)))  # never all off
            new = Choice(
                off,
                rng.choice(("weekly", "monthly")),
                rng.choice(("html", "text")),
                before.paused_until,
            )
        record = store.subscriber(address)
        assert record is not None and current_choice(record) == before
        assert save_choice(store, record, new, now)
        if new.paused_until != before.paused_until and new.paused(now):
            reader.last = None  # a pause's weeks are not sent later
        reader.choice = new


def received(outbox: Path) -> list[Message]:
    messages = [email.message_from_bytes(p.read_bytes()) for p in sorted(outbox.glob("*.eml"))]
    for path in outbox.glob("*.eml"):
        path.unlink()
    return messages


def text_of(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode("utf-8")
    raise AssertionError("no text part")


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_each_reader_gets_what_their_preferences_at_send_time_say(
    store: SqlStore, settings: Settings, seed: int
) -> None:
    rng = random.Random(seed)
    joined = START - timedelta(days=3)
    expected = {f"r{n}@example.com": Expected() for n in range(READERS)}
    for address in expected:
        add_subscriber(store, address, "active", joined)
    weeks_entries: dict[str, dict[str, str]] = {}
    for n in range(WEEKS):
        send_at = START + timedelta(weeks=n)
        week = week_of(send_at.date())
        weeks_entries[week] = titles_of(week)
        add_week(store, settings, week, send_at)
        change(rng, store, settings, expected, send_at - timedelta(days=1))
        built = build_digest(settings, store, send_at, week)
        assert built.digest is not None and built.created
        report = send_digest(
            settings,
            store,
            Clock(send_at),
            SendOptions(week=week),
            variants=variant_source(settings, store),
        )
        assert report.counts is not None and report.counts[DeliveryState.PENDING] == 0

        by_reader: dict[str, list[Message]] = {}
        for message in received(settings.root / "outbox"):
            by_reader.setdefault(str(message["To"]), []).append(message)
        monthly_week = first_of_month(send_at.day)
        for address, reader in expected.items():
            got = by_reader.get(address, [])
            due = not reader.choice.paused(send_at) and (
                reader.choice.frequency == "weekly" or monthly_week
            )
            assert len(got) == (1 if due else 0), (seed, week, address, reader.choice)
            if not due:
                continue
            (message,) = got
            previous = shift_week(week, -1)
            since = reader.last if reader.last is not None and reader.last < previous else None
            covered = [
                w
                for w in weeks_entries
                if (since is None and w == week) or (since is not None and since < w <= week)
            ]
            wanted = {
                title
                for w in covered
                for title, section in weeks_entries[w].items()
                if section not in reader.choice.off
            }
            text = text_of(message)
            shown = {t for w in weeks_entries for t in weeks_entries[w] if t in text}
            assert shown == wanted, (seed, week, address, reader.choice, since)
            exercise_on = EXERCISE not in reader.choice.off
            assert ("FOOT EXERCISE OF THE WEEK" in text) == exercise_on
            # A digest of several weeks lists the earlier weeks' exercises, if wanted.
            listed = "THE EXERCISES OF THE WEEKS BEFORE" in text
            assert listed == (exercise_on and since is not None and len(covered) > 1)
            assert message["Subject"].startswith("Your month: ") == (since is not None)
            assert message.is_multipart() == (reader.choice.format == "html")
            assert message["List-Unsubscribe"] and message["List-Unsubscribe-Post"]
            reader.got += sorted(shown)
            reader.last = week
    for address, reader in expected.items():
        assert len(reader.got) == len(set(reader.got)), f"{address} got an item twice"
        record = store.subscriber(address)
        assert record is not None and record.state == SubscriberState.ACTIVE
