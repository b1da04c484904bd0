"""Publish from a store of 10,000 entries (feeds of 50 and of 1,000, the most feeds.yaml
allows): newsletter vs feedgen alone writing one RSS.

Run as ``python -m bench.publish [--entries 10000]``. The store (SQLite in a temporary
folder) is built once; each side runs in its own process (so peak memory is its own) and
reports the median of several runs. Ours reads the store, sanitizes, and writes RSS, Atom,
JSON Feed and the archive; the baseline only turns the same N entries, already in memory,
into one RSS string with feedgen.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.memory import peak_mb
from newsletter.config.load import FEED_ITEMS_MAX

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
PARAGRAPH = (
    "<p>Run easy on most days, and keep the hard sessions hard: intervals on the track, "
    "a tempo run, hills. Strength work for the feet and hips pays for itself in fewer "
    "injuries. <a href='https://www.example.com/more'>Read more</a> about <em>cadence</em>, "
    "shoes and <strong>recovery</strong>.</p>"
)


def config_text(feed_items: int) -> str:
    return (
        "site:\n  title: Bench Running\n  url: https://bench.example/\n"
        f"  feed_items: {feed_items}\n"
        "newsletter:\n  from: Bench <b@bench.example>\n"
        "feeds:\n  - name: Bench feed\n    url: https://bench.example/feed.xml\n"
    )


def build_site(folder: Path, entries: int) -> None:
    """A site folder with an SQLite store holding ``entries`` approved articles."""
    from newsletter.config import load_settings
    from newsletter.store import NewEntry, open_store
    from newsletter.store.entries import EntryKind, EntryStatus

    (folder / "feeds.yaml").write_text(config_text(50))
    settings = load_settings(folder / "feeds.yaml", {})
    store = open_store(settings.env.database_url)
    [feed] = store.sync_feeds(settings.feeds, NOW)
    rows = [
        NewEntry(
            key=f"guid:https://bench.example/p/{n}",
            kind=EntryKind.ARTICLE,
            status=EntryStatus.APPROVED,
            title=f"Training tip {n}: easy runs & hard intervals",
            content_hash=f"{n}",
            guid=f"https://bench.example/p/{n}",
            link=f"https://bench.example/p/{n}",
            summary_html=PARAGRAPH,
            content_html=PARAGRAPH * 4,
            author="Ann Runner",
            published_at=NOW - timedelta(minutes=n),
        )
        for n in range(entries)
    ]
    store.save_entries(feed.id, rows, NOW)
    store.close()


def ours(folder: Path, feed_items: int, runs: int) -> list[float]:
    from newsletter.config import load_settings
    from newsletter.publish import publish_site
    from newsletter.store import open_store

    config = folder / f"feeds-{feed_items}.yaml"
    config.write_text(config_text(feed_items))
    settings = load_settings(config, {})
    store = open_store(settings.env.database_url)
    times = []
    for run in range(runs):
        out = folder / f"public-{feed_items}-{run}"  # a fresh folder: every file is written
        started = time.perf_counter()
        report = publish_site(settings, store, NOW, out)
        times.append(time.perf_counter() - started)
        assert report.entries == feed_items and not report.problems, report.as_dict()
    store.close()
    return times


def baseline(folder: Path, feed_items: int, runs: int) -> list[float]:
    """feedgen alone: the same entries, already in memory, to one RSS string."""
    from feedgen.feed import FeedGenerator

    from newsletter.config import load_settings
    from newsletter.store import open_store

    settings = load_settings(folder / "feeds.yaml", {})
    store = open_store(settings.env.database_url)
    entries = store.latest_entries(feed_items)
    store.close()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        generator = FeedGenerator()
        generator.title("Bench Running")
        generator.link(href="https://bench.example/")
        generator.description("Bench")
        for e in entries:
            item = generator.add_entry(order="append")
            item.guid(e.guid, permalink=True)
            item.title(e.title)
            item.link(href=e.link)
            item.description(e.summary_html)
            item.content(e.content_html, type="CDATA")
            item.published(e.published_at)
        generator.rss_str(pretty=True)
        times.append(time.perf_counter() - started)
    return times


def child(mode: str, folder: Path, feed_items: int) -> None:
    runs = 5 if feed_items <= 1000 else 3
    side = ours if mode == "ours" else baseline
    times = side(folder, feed_items, runs)
    peak = peak_mb()
    print(json.dumps({"seconds": statistics.median(times), "peak_mb": peak}))


def measure(mode: str, folder: Path, feed_items: int) -> dict[str, float]:
    command = [sys.executable, "-m", "bench.publish", "--child", mode, "--site", str(folder)]
    output = subprocess.run(
        [*command, "--feed-items", str(feed_items)], capture_output=True, text=True, check=True
    ).stdout
    return dict(json.loads(output.strip().splitlines()[-1]))


def run(entries: int = 10_000) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as site:
        folder = Path(site)
        build_site(folder, entries)
        for feed_items in (50, min(entries, FEED_ITEMS_MAX)):
            mine = measure("ours", folder, feed_items)
            base = measure("baseline", folder, feed_items)
            target = "; target < 1 s" if feed_items == 50 else ""
            rows.append(
                {
                    "figure": f"publish {feed_items:,} of {entries:,} entries{target}",
                    "ours": mine["seconds"],
                    "baseline": base["seconds"],
                    "baseline_name": f"feedgen rss_str of the same {feed_items:,} entries",
                    "peak_mb": mine["peak_mb"],
                    "target": None,
                }
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--child", choices=["baseline", "ours"])
    parser.add_argument("--site", type=Path)
    parser.add_argument("--feed-items", type=int, default=50)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.site, args.feed_items)
        return
    from bench.table import print_table

    print_table(run(args.entries))


if __name__ == "__main__":
    main()
