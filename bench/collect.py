"""Collect N feeds x 50 entries from loopback: newsletter vs a sequential httpx+feedparser loop.

Run as ``python -m bench.collect [--feeds 120]``. Each side runs in its own process (so peak
memory is its own) against the same server; the figure is the ratio ours / baseline.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.feeds import serve
from bench.memory import peak_mb


def baseline(urls: list[str]) -> dict[str, float]:
    """What a careful script does: fetch each feed with httpx, parse it with feedparser."""
    import feedparser
    import httpx

    started = time.perf_counter()
    entries = 0
    with httpx.Client(timeout=30) as client:
        for url in urls:
            response = client.get(url)
            parsed = feedparser.parse(response.content, response_headers=dict(response.headers))
            entries += len(parsed.entries)
    return {"seconds": time.perf_counter() - started, "entries": entries}


def ours(urls: list[str], rerun: bool) -> dict[str, float]:
    """The real pipeline: config → sources (fetch, parse in workers, clean) → SQLite store."""
    from newsletter.cli import utcnow
    from newsletter.collect import collect
    from newsletter.config import load_settings
    from newsletter.store import open_store

    with tempfile.TemporaryDirectory() as site:
        config = Path(site) / "feeds.yaml"
        lines = [f"  - name: feed {n}\n    url: {url}\n" for n, url in enumerate(urls)]
        config.write_text(
            "site:\n  title: Bench\n  url: https://bench.example/\n"
            "newsletter:\n  from: Bench <b@bench.example>\nfeeds:\n" + "".join(lines)
        )
        settings = load_settings(config, {})
        store = open_store(settings)
        started = time.perf_counter()
        report = collect(settings, store, utcnow)
        first = time.perf_counter() - started
        result = {"seconds": first, "entries": float(report.new)}
        if rerun:
            started = time.perf_counter()
            again = collect(settings, store, utcnow)
            result["rerun_seconds"] = time.perf_counter() - started
            result["rerun_unchanged"] = float(again.count("not_modified"))
        store.close()
    return result


def child(mode: str, urls: list[str]) -> None:
    result = baseline(urls) if mode == "baseline" else ours(urls, rerun=True)
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result["peak_mb"] = peak_mb()
    result["worker_peak_mb"] = children / 1024
    print(json.dumps(result))


def measure(mode: str, urls: list[str]) -> dict[str, float]:
    output = subprocess.run(
        [sys.executable, "-m", "bench.collect", "--child", mode],
        input=json.dumps(urls),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return dict(json.loads(output.strip().splitlines()[-1]))


def run(feeds: int = 120) -> list[dict[str, object]]:
    with serve(feeds) as urls:
        base = measure("baseline", urls)
        mine = measure("ours", urls)
    assert mine["entries"] == base["entries"] == feeds * 50, (mine, base)
    return [
        {
            "figure": f"collect {feeds} feeds x 50 entries",
            "ours": mine["seconds"],
            "baseline": base["seconds"],
            "baseline_name": "sequential httpx+feedparser",
            "peak_mb": max(mine["peak_mb"], mine["worker_peak_mb"]),
            "target": 0.65,
        },
        {
            "figure": f"collect rerun, {feeds} unchanged feeds (all 304)",
            "ours": mine["rerun_seconds"],
            "baseline": mine["seconds"],
            "baseline_name": "our first run",
            "peak_mb": mine["peak_mb"],
            "target": None,
        },
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--feeds", type=int, default=120)
    parser.add_argument("--child", choices=["baseline", "ours"])
    args = parser.parse_args()
    if args.child:
        child(args.child, json.loads(sys.stdin.read()))
        return
    from bench.table import print_table

    print_table(run(args.feeds))


if __name__ == "__main__":
    main()
