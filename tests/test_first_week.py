"""A new site's first week (issue 19, item 2): set up on a Saturday with `send_on: monday
07:00`, the first `run` builds no digest dated the Monday before; a reader who confirms that
day gets nothing until the next Monday, and then the first digest, carrying what was
collected on day one. An empty first digest is never built by `run`."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

from newsletter.config import load_settings
from newsletter.digest import build_digest
from newsletter.mail import SendOptions, send_digest
from newsletter.run import run_all
from newsletter.sample import write_sample
from newsletter.store import SqlStore
from newsletter.subscribers import add_subscribers
from tests.support.clock import Clock

ROOT = Path(__file__).parents[1]
SATURDAY = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)  # 2026-W49, whose digest was due Mon 30 Nov
MONDAY = datetime(2026, 12, 7, 7, 10, tzinfo=UTC)  # 2026-W50, ten minutes after its send time


def test_the_first_digest_is_the_next_one_due_and_dated_after_the_reader_confirmed(
    store: SqlStore, tmp_path: Path
) -> None:
    config = write_sample(ROOT, tmp_path, SATURDAY)
    text = re.sub(r"(?m)^(\s*send_on:).*$", r"\1 monday 07:00", config.read_text())
    config.write_text(text, encoding="utf-8")
    settings = load_settings(config, {"NEWSLETTER_OUTBOX": "outbox"})

    first = run_all(settings, store, Clock(SATURDAY))
    digest = first.steps["digest"]
    assert (digest.as_dict()["status"], digest.as_dict()["week"]) == ("first_waits", "2026-W50")
    assert "the site's first, due Mon 07 Dec 2026 07:00" in digest.summary()
    assert store.digest_weeks() == [], "no digest dated Monday 30 November"

    add_subscribers(store, ["ann@example.org"], confirmed=True, now=SATURDAY + timedelta(hours=2))
    saturday_again = run_all(settings, store, Clock(SATURDAY + timedelta(hours=3)))
    assert saturday_again.ok, saturday_again.errors
    outbox = tmp_path / "outbox"
    assert not list(outbox.glob("*.eml")), "nothing mailed before the first digest's time"

    monday = run_all(settings, store, Clock(MONDAY))
    assert monday.ok, monday.errors
    built = monday.steps["digest"].as_dict()
    assert (built["status"], built["week"]) == ("built", "2026-W50")
    assert int(str(built["items"])) >= 5, "day one's news is in the first digest"
    older = int(str(built["older"]))
    assert older > 0 and f"{older} older entries collected on day one are on the site" in (
        monday.steps["digest"].summary()
    ), "and the rest is not dropped without a word"
    (mail,) = outbox.glob("*.eml")
    message = email.message_from_bytes(mail.read_bytes())
    assert message["To"] == "ann@example.org"


def test_nobody_gets_a_digest_dated_before_they_confirmed(store: SqlStore, tmp_path: Path) -> None:
    """A digest built while nobody had subscribed yet, then sent once someone has: only
    who had confirmed by the digest's date is queued."""
    config = write_sample(ROOT, tmp_path, SATURDAY)
    settings = load_settings(config, {"NEWSLETTER_OUTBOX": "outbox"})
    add_subscribers(store, ["early@example.org"], confirmed=True, now=SATURDAY - timedelta(1))
    built = build_digest(settings, store, SATURDAY + timedelta(hours=1))
    assert built.digest is not None
    add_subscribers(store, ["late@example.org"], confirmed=True, now=SATURDAY + timedelta(hours=2))
    clock = Clock(SATURDAY + timedelta(hours=3))
    report = send_digest(settings, store, clock, SendOptions(week=built.week))
    assert report.sent == 1
    (mail,) = (tmp_path / "outbox").glob("*.eml")
    assert email.message_from_bytes(mail.read_bytes())["To"] == "early@example.org"


def test_run_never_builds_an_empty_first_digest(store: SqlStore, tmp_path: Path) -> None:
    config = write_sample(ROOT, tmp_path, SATURDAY)
    config.write_text(re.sub(r"(?m)^feeds:(.|\n)*", "feeds: []\n", config.read_text()))
    settings = load_settings(config, {"NEWSLETTER_OUTBOX": "outbox"})
    report = run_all(settings, store, Clock(SATURDAY))
    assert report.steps["digest"].as_dict()["status"] == "first_empty"
    assert store.digest_weeks() == []


def test_the_mail_carries_the_base_url_of_the_send_not_of_the_build(
    store: SqlStore, tmp_path: Path
) -> None:
    """Issue 19, item 3: the guide ran `run` before setting NEWSLETTER_BASE_URL, and the
    mail's archive and feed links pointed at http://127.0.0.1:8000/."""
    config = write_sample(ROOT, tmp_path, SATURDAY)
    before = load_settings(config, {"NEWSLETTER_OUTBOX": "outbox"})
    built = build_digest(before, store, SATURDAY)
    assert built.digest is not None and "127.0.0.1" not in built.digest.html + built.digest.text
    add_subscribers(store, ["ann@example.org"], confirmed=True, now=SATURDAY - timedelta(days=1))
    public = "https://news.example.org/"
    after = load_settings(config, {"NEWSLETTER_OUTBOX": "outbox", "NEWSLETTER_BASE_URL": public})
    report = send_digest(after, store, lambda: SATURDAY, SendOptions(week=built.week))
    assert report.sent == 1
    (mail,) = (tmp_path / "outbox").glob("*.eml")
    message = email.message_from_bytes(mail.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    for part in message.iter_parts():
        body = part.get_content()
        links = re.findall(r"https?://[^\s\"<>]+", body)
        ours = [link for link in links if "example.org/" in link or "127.0.0.1" in link]
        assert ours and all(link.startswith(public) for link in ours), ours
