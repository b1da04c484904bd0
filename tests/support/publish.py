"""Helpers shared by the publish and web-feed tests (this module holds no tests).

Entries and digests go straight into the store, bypassing ingest, so the tests prove that
publishing is safe and correct on its own.
"""

from __future__ import annotations

import re
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from newsletter.config import Settings, load_settings
from newsletter.store import NewEntry, SqlStore
from newsletter.store.models import Digest, Exercise

BASE_URL = "https://news.example.com/"
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
FEED_FILES = ("feed.xml", "atom.xml", "feed.json", "archive/feed.xml")
# What the pages link, copied beside them (publish.site.static_files).
STATIC_FILES = ("static/favicon.ico", "static/favicon.svg", "static/site.css")

SITE = """\
site:
  title: Best Running Tips
  url: https://www.example.com/
  description: Running tips, training plans and answers to readers' questions
  language: en-GB
{extra}newsletter:
  from: Best Running Tips <news@example.com>
feeds:
  - name: Running Training
    url: https://www.example.com/running-training/feed.xml
  - name: Readers' questions
    path: questions.xml
    kind: questions
"""


def make_settings(folder: Path, extra: str = "", base_url: str = BASE_URL) -> Settings:
    """A site folder with a feeds.yaml; ``extra`` adds indented lines under ``site:``."""
    config = folder / "feeds.yaml"
    config.write_text(SITE.format(extra=textwrap.indent(extra, "  ")), encoding="utf-8")
    return load_settings(config, {"NEWSLETTER_BASE_URL": base_url, "NEWSLETTER_OUTBOX": "outbox"})


def feed_ids(store: SqlStore, settings: Settings) -> dict[str, int]:
    return {state.name: state.id for state in store.sync_feeds(settings.feeds, NOW)}


def entry(n: int, **fields: Any) -> NewEntry:
    """Entry ``n``: published ``n`` hours before NOW, with a guid URI and a link."""
    values: dict[str, Any] = {
        "key": f"guid:https://www.example.com/p/{n}",
        "kind": "article",
        "status": "approved",
        "title": f"Tip number {n}",
        "content_hash": f"hash-{n}",
        "guid": f"https://www.example.com/p/{n}",
        "link": f"https://www.example.com/p/{n}",
        "summary_html": f"<p>Summary {n}</p>",
        "content_html": f"<p>Content <strong>{n}</strong></p>",
        "author": "Ann Runner",
        "published_at": NOW - timedelta(hours=n),
    }
    values.update(fields)
    return NewEntry(**values)


def add_entries(
    store: SqlStore, feed_id: int | None, entries: list[NewEntry], now: datetime = NOW
) -> None:
    store.save_entries(feed_id, entries, now)


def add_digest(store: SqlStore, week: str, **fields: Any) -> None:
    """A digest row as the digest capability stores it, with its exercise."""
    exercise = fields.pop("exercise", "Toe yoga")
    with store.engine.begin() as connection:
        exercise_id = connection.scalar(select(Exercise.id).where(Exercise.name == exercise))
        if exercise_id is None and exercise is not None:
            exercise_id = connection.scalar(
                insert(Exercise)
                .values(
                    slug=re.sub(r"\W+", "-", exercise.lower()),
                    position=1,
                    name=exercise,
                    how="Lift each toe in turn.",
                    strengthens="the small muscles of the foot",
                    equipment="",
                    sitting=True,
                    active=True,
                    updated_at=NOW,
                )
                .returning(Exercise.id)
            )
        year, number = int(week[:4]), int(week[6:])
        start = datetime.fromisocalendar(year, number, 1).replace(tzinfo=UTC)
        values: dict[str, Any] = {
            "week": week,
            "built_at": start + timedelta(days=7, hours=7),
            "period_start": start,
            "period_end": start + timedelta(days=7),
            "exercise_id": exercise_id,
            "subject": f"Best Running Tips: week {week}",
            "html": (
                "<!doctype html><html><body><h1>Digest</h1>"
                '<a href="%%UNSUBSCRIBE_URL%%">Unsubscribe</a></body></html>'
            ),
            "text": "Digest\nUnsubscribe: %%UNSUBSCRIBE_URL%%\n",
            "item_count": 3,
        }
        values.update(fields)
        connection.execute(insert(Digest).values(**values))


def read_all(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
