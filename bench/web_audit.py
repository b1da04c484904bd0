"""Lighthouse (mobile) on the web app's pages: home, /ask, the archive index, the exercise
index, an exercise's page and a digest page.

Run as ``make web-audit`` (``python -m bench.web_audit [--runs 1]``). A throw-away site on
SQLite gets two digests built by the digest capability (articles, a reader's question,
the exercise), served by waitress on loopback; Lighthouse 12 (tools/web, ``make
web-tools``) audits each page with Debian's Chromium. Prints each category's score (the
median of the runs) and every audit that cost points. A measurement, not a test: a busy
machine lowers the performance score, so nothing here fails on a figure.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from newsletter.config import FeedConfig, Settings, load_settings
from newsletter.digest import build_digest, current_week, send_time
from newsletter.digest.weeks import shift_week
from newsletter.store import NewEntry, SqlStore, open_store, upgrade_database
from newsletter.store.entries import EntryKind, EntryStatus
from newsletter.web import UNLIMITED, create_app
from newsletter.web.server import make_server

LIGHTHOUSE = Path(__file__).resolve().parents[1] / "tools/web/node_modules/.bin/lighthouse"
CHROME = "/usr/bin/chromium"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
PAGES = {
    "home": "/",
    "ask": "/ask",
    "archive": "/archive/",
    "exercises": "/archive/exercises/",
    "exercise": "/archive/exercises/calf-raises.html",
}
SITE = """\
site:
  title: Best Running Tips
  url: https://www.example.com/
  description: Running tips, training plans and answers to readers' questions, every week
newsletter:
  from: Best Running Tips <news@example.com>
  send_on: monday 07:00
  timezone: Europe/London
feeds: []
"""
FEEDS = (
    FeedConfig("Running Training", "articles", "https://www.example.com/feed.xml", "https://www.example.com/feed.xml"),
    FeedConfig("Readers' questions", "questions", "https://www.example.com/q.xml", "https://www.example.com/q.xml"),
)  # fmt: skip
TITLES = (
    "Tempo runs: how fast, how long and how often",
    "Hill repeats for runners who hate hills",
    "Why your long run should feel easy",
    "Strides: the ten-second habit that makes you faster",
    "Running shoes: when to replace them",
)


def make_site(root: Path) -> Settings:
    root.mkdir(parents=True, exist_ok=True)
    (root / "feeds.yaml").write_text(SITE, encoding="utf-8")
    environ = {"NEWSLETTER_BASE_URL": "http://127.0.0.1/", "NEWSLETTER_SECRET_KEY": "a" * 40}
    return load_settings(root / "feeds.yaml", environ)


def fill(settings: Settings, store: SqlStore) -> str:
    """Two weeks of entries and their digests, each built at its send time; the week of
    the latest."""
    latest = shift_week(current_week(datetime.now(UTC), settings.newsletter.timezone), -1)
    for offset, week in enumerate((shift_week(latest, -1), latest)):
        due = send_time(week, settings.newsletter.send_on, settings.newsletter.timezone)
        articles, questions = store.sync_feeds(FEEDS, due - timedelta(days=2))
        entries = [
            _entry(f"{week}-{n}", title, due - timedelta(days=n + 1))
            for n, title in enumerate(TITLES[offset:])
        ]
        store.save_entries(articles.id, entries, due - timedelta(days=1))
        asked = _entry(
            f"{week}-q", "Why do my shins hurt after hills?", due - timedelta(days=2), "question"
        )
        store.save_entries(questions.id, [asked], due - timedelta(days=1))
        build_digest(settings, store, due, week)
    return latest


def audit(url: str, out: Path, tries: int = 3) -> dict[str, Any] | None:
    """Lighthouse's report of ``url``; None when every try failed. On a loaded machine
    Lighthouse sometimes loses its trace (NO_NAVSTART): that run is tried again."""
    env = {**os.environ, "CHROME_PATH": CHROME}
    command = [str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={out}"]
    command += ["--only-categories=" + ",".join(CATEGORIES), "--form-factor=mobile"]
    command += ["--chrome-flags=--headless --no-sandbox --disable-gpu"]
    for _ in range(tries):
        done = subprocess.run(command, env=env, check=False, timeout=600)
        if done.returncode == 0:
            report: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
            return report
    return None


def lost_points(report: dict[str, Any]) -> list[str]:
    """The audits that cost points: scored, weighted, below 1."""
    lost = []
    for name in CATEGORIES:
        for ref in report["categories"][name]["auditRefs"]:
            found = report["audits"][ref["id"]]
            if ref["weight"] > 0 and found["score"] is not None and found["score"] < 1:
                lost.append(
                    f"{name}: {ref['id']} ({found['score']}) {found.get('displayValue', '')}"
                )
    return lost


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.web_audit")
    parser.add_argument("--runs", type=int, default=1, help="runs per page (the median is shown)")
    args = parser.parse_args()
    if not LIGHTHOUSE.exists():
        sys.exit("Lighthouse is not installed: make web-tools")
    with tempfile.TemporaryDirectory(prefix="web-audit-") as tmp:
        settings = make_site(Path(tmp) / "site")
        upgrade_database(settings.env.database_url)
        store = open_store(settings.env.database_url)
        week = fill(settings, store)
        server = make_server(create_app(settings, store, rate_limits=UNLIMITED), "127.0.0.1", 0)
        threading.Thread(target=server.run, daemon=True).start()
        base = f"http://127.0.0.1:{server.port}"
        pages = {**PAGES, "digest": f"/archive/{week}.html"}
        print(f"{'page':<10}" + "".join(f"{c:>16}" for c in CATEGORIES))
        notes = []
        for name, path in pages.items():
            tried = [audit(base + path, Path(tmp) / f"{name}-{n}.json") for n in range(args.runs)]
            runs = [run for run in tried if run is not None]
            if not runs:
                print(f"{name:<10}  Lighthouse failed on every try", flush=True)
                continue
            scores = [
                statistics.median(round(r["categories"][c]["score"] * 100) for r in runs)
                for c in CATEGORIES
            ]
            print(f"{name:<10}" + "".join(f"{s:>16.0f}" for s in scores), flush=True)
            notes += [f"  {name} {line}" for line in lost_points(runs[0])]
        server.close()
        store.close()
    print("\n".join(notes) if notes else "no audit lost a point")


def _entry(key: str, title: str, published: datetime, kind: str = "article") -> NewEntry:
    return NewEntry(
        key=f"guid:{key}",
        kind=EntryKind(kind),
        status=EntryStatus.APPROVED,
        title=title,
        content_hash=hashlib.sha256(key.encode()).hexdigest(),
        link=f"https://www.example.com/{key}.html",
        summary_html=f"<p>{title}: what it is, why it works, and how to start this week.</p>",
        published_at=published,
    )


if __name__ == "__main__":
    main()
