"""Collect N feeds x 50 entries from loopback: newsletter vs a sequential httpx+feedparser loop.

Run as ``python -m bench.collect [--feeds 120] [--no-rss2email]``. Each side runs in its own
process (so peak memory is its own) against the same server; the figure is the ratio ours /
baseline. rss2email 3.14 (bench/rss2email.py) collects the same feeds too, first run and
unchanged rerun. The server runs in this process, which does nothing else meanwhile: its CPU
time says whether serving the feeds, rather than collecting them, is what takes the time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import rss2email
from bench.feeds import serve
from bench.memory import TreeWatcher, cpu_seconds, machine_busy_seconds, peak_mb


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
        # The parser processes are grandchildren (started by a fork server): watched so.
        with TreeWatcher(os.getpid()) as workers:
            busy, started = machine_busy_seconds(), time.perf_counter()
            report = collect(settings, store, utcnow)
            first = time.perf_counter() - started
            busy = machine_busy_seconds() - busy
        result = {"seconds": first, "entries": float(report.new), "cores_busy": busy / first}
        result["worker_peak_mb"] = max(workers.peaks.values(), default=0.0)
        result["worker_cpu"] = sum(workers.cpu.values())
        if rerun:
            started = time.perf_counter()
            again = collect(settings, store, utcnow)
            result["rerun_seconds"] = time.perf_counter() - started
            result["rerun_unchanged"] = float(again.count("not_modified"))
        store.close()
    return result


def child(mode: str, urls: list[str]) -> None:
    if mode == "rss2email":
        print(json.dumps(rss2email.measure(urls)))
        return
    result = baseline(urls) if mode == "baseline" else ours(urls, rerun=True)
    result["peak_mb"] = peak_mb()
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


def run(feeds: int = 120, with_rss2email: bool = True) -> list[dict[str, object]]:
    missing = rss2email.unavailable() if with_rss2email else None
    with serve(feeds) as urls:
        base = measure("baseline", urls)
        # This process only serves the feeds meanwhile: its CPU time is the server's.
        server_cpu = cpu_seconds()
        mine = measure("ours", urls)
        server_cpu = cpu_seconds() - server_cpu
        theirs = measure("rss2email", urls) if with_rss2email and not missing else None
    assert mine["entries"] == base["entries"] == feeds * 50, (mine, base)
    assert mine["rerun_unchanged"] == feeds, mine
    ours_wall = mine["seconds"] + mine["rerun_seconds"]
    rows: list[dict[str, object]] = [
        {
            "figure": f"collect {feeds} feeds x 50 entries",
            "ours": mine["seconds"],
            "baseline": base["seconds"],
            "baseline_name": "sequential httpx+feedparser",
            "peak_mb": max(mine["peak_mb"], mine["worker_peak_mb"]),
            "target": 0.65,
            "note": f"collect {feeds} feeds: {mine['cores_busy']:.1f} of {os.cpu_count()} "
            f"cores busy on average during our first run; the parser processes used "
            f"{mine['worker_cpu']:.1f} CPU s, peak {mine['worker_peak_mb']:.0f} MB each at "
            f"most; the loopback feed server (one process, threads) used {server_cpu:.1f} s "
            f"of CPU during our {ours_wall:.1f} s (first run and rerun)",
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
    if theirs is None:
        reason = missing or "not asked for"
        return [
            *rows,
            {"figure": f"rss2email {rss2email.VERSION}, {feeds} feeds", "skipped": reason},
        ]
    assert theirs["entries"] == feeds * 50, theirs
    note = f"rss2email {feeds} feeds: peak {theirs['peak_mb']:.0f} MB (one process)"
    return [
        *rows,
        {
            "figure": f"collect {feeds} feeds, vs rss2email {rss2email.VERSION}",
            "ours": mine["seconds"],
            "baseline": theirs["seconds"],
            "baseline_name": "r2e run --no-send, same feeds",
            "peak_mb": max(mine["peak_mb"], mine["worker_peak_mb"]),
            "target": None,
            "note": note,
        },
        {
            "figure": f"collect rerun, {feeds} unchanged, vs rss2email {rss2email.VERSION}",
            "ours": mine["rerun_seconds"],
            "baseline": theirs["rerun_seconds"],
            "baseline_name": "r2e run --no-send again (all 304)",
            "peak_mb": mine["peak_mb"],
            "target": None,
        },
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--feeds", type=int, default=120)
    parser.add_argument("--child", choices=["baseline", "ours", "rss2email"])
    parser.add_argument("--no-rss2email", action="store_true")
    args = parser.parse_args()
    if args.child:
        child(args.child, json.loads(sys.stdin.read()))
        return
    from bench.table import print_table

    print_table(run(args.feeds, not args.no_rss2email))


if __name__ == "__main__":
    main()
