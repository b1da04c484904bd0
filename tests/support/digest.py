"""Fixture data for the digest tests: a site, its feeds and entries, a frozen clock.

No tests here; the digest test modules import these helpers.
"""

from __future__ import annotations

import hashlib
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

from newsletter.config import FeedConfig, Settings, load_settings
from newsletter.store import NewEntry, SqlStore
from newsletter.store.entries import EntryKind, EntryStatus

BASE_URL = "https://news.example.com/"
# Monday of 2026-W48 at 07:00 in London (GMT in November): the week's send time.
SEND_W48 = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
SEND_W47 = SEND_W48 - timedelta(weeks=1)

FEEDS = (
    FeedConfig(
        name="Running Training",
        kind="articles",
        key="https://www.example.com/running-training/feed.xml",
        url="https://www.example.com/running-training/feed.xml",
    ),
    FeedConfig(
        name="Readers' questions",
        kind="questions",
        key="https://www.example.com/questions/feed.xml",
        url="https://www.example.com/questions/feed.xml",
    ),
)


def write_site_yaml(root: Path, newsletter_lines: str = "") -> Path:
    """The sites' feeds.yaml with no feeds; ``newsletter_lines`` go under ``newsletter:``,
    indented as they are given."""
    root.mkdir(parents=True, exist_ok=True)
    config = root / "feeds.yaml"
    config.write_text(
        textwrap.dedent(
            """\
            site:
              title: Best Running Tips
              url: https://www.example.com/
            newsletter:
              from: Best Running Tips <news@example.com>
              send_on: monday 07:00
              timezone: Europe/London
            """
        )
        + newsletter_lines
        + "feeds: []\n",
        encoding="utf-8",
    )
    return config


def site_settings(root: Path, newsletter_extra: str = "", catalog: str | None = None) -> Settings:
    """A site folder with feeds.yaml (and its own exercises.yaml when given)."""
    config = write_site_yaml(root, textwrap.indent(textwrap.dedent(newsletter_extra), "  "))
    if catalog is not None:
        (root / "exercises.yaml").write_text(textwrap.dedent(catalog), encoding="utf-8")
    return load_settings(
        config, environ={"NEWSLETTER_BASE_URL": BASE_URL, "NEWSLETTER_OUTBOX": "outbox"}
    )


def article(
    slug: str,
    title: str,
    published: datetime,
    summary: str = "<p>A short summary.</p>",
    link: str | None = "",
    author: str | None = None,
) -> NewEntry:
    return NewEntry(
        key=f"guid:{slug}",
        kind=EntryKind.ARTICLE,
        status=EntryStatus.APPROVED,
        title=title,
        content_hash=_hash(slug, title),
        link=f"https://www.example.com/running-training/{slug}.html" if link == "" else link,
        summary_html=summary,
        author=author,
        published_at=published,
    )


def question(
    slug: str, title: str, published: datetime, asked_by: str | None, body: str
) -> NewEntry:
    return NewEntry(
        key=f"guid:q-{slug}",
        kind=EntryKind.QUESTION,
        status=EntryStatus.APPROVED,
        title=title,
        content_hash=_hash("q", slug),
        link=f"https://www.example.com/questions/{slug}.html",
        summary_html=body,
        author=asked_by,
        published_at=published,
    )


def _hash(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def add(store: SqlStore, first_seen: datetime, *entries: NewEntry) -> None:
    """Store entries as collect would, first seen at ``first_seen``."""
    articles, questions = store.sync_feeds(FEEDS, first_seen)
    for feed, kind in ((articles, "article"), (questions, "question")):
        chosen = [e for e in entries if e.kind == kind]
        if chosen:
            store.save_entries(feed.id, chosen, first_seen)
