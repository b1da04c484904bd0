"""Readers' preferences at scale: 100,000 readers spread over 16 choices (2 frequencies x 2
formats x 4 section sets) against the same 100,000 on one choice, each built (queued) and
sent to the loopback sink in one run, on SQLite and on PostgreSQL.

The digest is rendered once per distinct choice in use, never per reader, so the spread list
should cost about what the single one does: the target is at least 0.9x its rate (a time
ratio of at most 1.11) with the same peak memory. Each measurement runs in its own process.

Run as ``python -m bench.preferences [--readers 100000]``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import pg_setup
from bench import send as send_bench
from bench.memory import cpu_seconds, peak_mb

WEEK = "2026-W45"  # sent Monday 2 November 2026: the month's first, so monthly readers get it
SEND_AT = datetime(2026, 11, 2, 7, 0, tzinfo=UTC)
SITE = """\
site:
  title: Bench
  url: https://bench.example/
newsletter:
  from: Bench <news@bench.example>
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
OFFS = ("", "feed-marathons", "questions", "exercise")


def choice_of(n: int, spread: bool) -> tuple[str, str, str | None]:
    """Reader n's (choice, frequency, last week): 16 combinations when spread, else one."""
    from newsletter.subscribers.preferences import Variant

    if not spread:
        return "", "weekly", None
    monthly, text, off = n % 2, (n // 2) % 2, OFFS[(n // 4) % 4]
    variant = Variant("text" if text else "html", frozenset([off] if off else []))
    # A monthly reader's last digest was a month ago: theirs covers the weeks since.
    return variant.encode(), "monthly" if monthly else "weekly", "2026-W41" if monthly else None


def ours(database_url: str | None, readers: int, spread: bool, port: int) -> dict[str, float]:
    from newsletter.config import load_settings
    from newsletter.digest.build import build_digest
    from newsletter.digest.variants import variant_source
    from newsletter.mail import SendOptions, send_digest
    from newsletter.store import open_store

    with tempfile.TemporaryDirectory() as folder:
        site = Path(folder)
        (site / "feeds.yaml").write_text(SITE, encoding="utf-8")
        environ = {
            "NEWSLETTER_SMTP_URL": f"smtp://127.0.0.1:{port}",
            "NEWSLETTER_SECRET_KEY": "bench-secret-key-0123456789abcdef",
        }
        if database_url:
            environ["NEWSLETTER_DATABASE_URL"] = database_url
        settings = load_settings(site / "feeds.yaml", environ)
        store = open_store(settings.env.database_url)
        try:
            fill(store, settings, readers, spread)
            started = time.perf_counter()
            built = build_digest(settings, store, SEND_AT, WEEK)
            queued = time.perf_counter() - started
            assert built.digest is not None
            started, cpu = time.perf_counter(), cpu_seconds()
            report = send_digest(
                settings,
                store,
                lambda: SEND_AT,
                SendOptions(week=WEEK, workers=4),
                variants=variant_source(settings, store),
            )
            seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
        finally:
            store.close()
    assert report.sent == readers and report.paused is None, report.summary()
    return {"seconds": seconds, "queue_seconds": queued, "cpu": cpu, "sent": float(report.sent)}


def fill(store: object, settings: object, readers: int, spread: bool) -> None:
    from sqlalchemy import update

    from newsletter.store.models import Subscriber
    from newsletter.store.subscribers import NewSubscriber, SubscriberSource, SubscriberState
    from tests.support.digest import article, question

    joined = SEND_AT - timedelta(weeks=8)
    feeds = store.sync_feeds(settings.feeds, joined)  # type: ignore[attr-defined]
    seen = SEND_AT - timedelta(days=2)
    for n, feed in enumerate(feeds[:2]):
        items = [article(f"a{n}-{k}", f"Article {n}.{k}", seen) for k in range(6)]
        store.save_entries(feed.id, items, seen)  # type: ignore[attr-defined]
    asked = [question(f"q{k}", f"Question {k}", seen, "Ann", "<p>Why?</p>") for k in range(3)]
    store.save_entries(feeds[2].id, asked, seen)  # type: ignore[attr-defined]
    batch: list[NewSubscriber] = []
    for n, address in enumerate(send_bench.emails(readers)):
        choice, frequency, _last = choice_of(n, spread)
        new = NewSubscriber(
            address,
            address,
            None,
            SubscriberState.ACTIVE,
            SubscriberSource.IMPORT,
            choice,
            frequency,
        )
        batch.append(new)
        if len(batch) == 1000:
            store.import_changes(batch, [], joined)  # type: ignore[attr-defined]
            batch = []
    store.import_changes(batch, [], joined)  # type: ignore[attr-defined]
    if spread:
        with store.engine.begin() as connection:  # type: ignore[attr-defined]
            connection.execute(
                update(Subscriber)
                .where(Subscriber.frequency == "monthly")
                .values(last_week="2026-W41")
            )


def child(database_url: str, readers: int, spread: bool, port: int) -> None:
    result = ours(database_url or None, readers, spread, port)
    result["peak_mb"] = peak_mb()
    print(json.dumps(result))


def measure(database_url: str, readers: int, spread: bool, port: int) -> dict[str, float]:
    command = [sys.executable, "-m", "bench.preferences", "--child", "--port", str(port)]
    command += ["--readers", str(readers), "--database-url", database_url]
    command += ["--spread"] if spread else []
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return dict(json.loads(output.strip().splitlines()[-1]))


def run(readers: int = 100_000) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    with send_bench.sink() as port:
        for name, url in pg_setup.databases("preferences", rows):
            if url:
                with pg_setup.fresh_schema(url) as one_url:
                    one = measure(one_url, readers, False, port)
                with pg_setup.fresh_schema(url) as spread_url:
                    spread = measure(spread_url, readers, True, port)
            else:
                one = measure("", readers, False, port)
                spread = measure("", readers, True, port)
            rows.append(
                {
                    "figure": f"queue+send {readers:,} readers over 16 choices, {name}",
                    "ours": spread["seconds"] + spread["queue_seconds"],
                    "baseline": one["seconds"] + one["queue_seconds"],
                    "baseline_name": "the same readers on one choice, same run",
                    "peak_mb": spread["peak_mb"],
                    "target": 1.11,  # issue 21: at least 0.9x the one-choice rate
                    "note": (
                        f"preferences, {name}: peak {spread['peak_mb']:.0f} MB over 16 choices "
                        f"vs {one['peak_mb']:.0f} MB on one (memory flat); send alone "
                        f"{spread['seconds']:.1f} s vs {one['seconds']:.1f} s"
                    ),
                }
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--readers", type=int, default=100_000)
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--spread", action="store_true")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    if args.child:
        child(args.database_url, args.readers, args.spread, args.port)
        return
    from bench.table import print_table

    print_table(run(args.readers))


if __name__ == "__main__":
    main()
