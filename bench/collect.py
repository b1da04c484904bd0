"""Collect N feeds x 50 entries from loopback: newsletter vs a sequential httpx+feedparser loop.

Run as ``python -m bench.collect [--feeds 120] [--no-rss2email]``. Each side runs in its own
process (so peak memory is its own) against the same server; the figure is the ratio ours /
baseline. The peers reader 3.26 (bench/reader_peer.py) and rss2email 3.14 (bench/rss2email.py)
collect the same feeds too, first run and unchanged rerun (r2e only as a command, so our rerun
is timed as the ``newsletter collect`` command too for that row); ``--small`` also times small feeds
(50 entries of about 1.7 KB) against the sequential loop. The feeds come from nginx on
loopback when it is installed, else from an aiohttp server in this process (bench/feeds.py).
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

from bench import reader_peer, rss2email, startup
from bench.feeds import serve, server_name
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
        store = open_store(settings.env.database_url)
        # The parser processes are grandchildren (started by a fork server): watched so.
        with TreeWatcher(os.getpid()) as workers:
            busy, started = machine_busy_seconds(), time.perf_counter()
            report = collect(settings.feeds, settings.collect, store, utcnow)
            first = time.perf_counter() - started
            busy = machine_busy_seconds() - busy
        result = {"seconds": first, "entries": float(report.new), "cores_busy": busy / first}
        result["worker_peak_mb"] = max(workers.peaks.values(), default=0.0)
        result["worker_cpu"] = sum(workers.cpu.values())
        if rerun:
            started = time.perf_counter()
            again = collect(settings.feeds, settings.collect, store, utcnow)
            result["rerun_seconds"] = time.perf_counter() - started
            result["rerun_unchanged"] = float(again.count("not_modified"))
        store.close()
        if rerun:
            result["command_rerun_seconds"] = command_rerun(Path(site))
    return result


def command_rerun(site: Path) -> float:
    """``newsletter collect`` as cron runs it, every feed unchanged: start to exit, as
    rss2email's rerun is timed (bench/rss2email.py)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("NEWSLETTER_")}
    startup.compile_package()
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "newsletter", "collect"],
        cwd=site,
        env=environ,
        stdout=subprocess.DEVNULL,
        check=True,
    )
    return time.perf_counter() - started


def child(mode: str, urls: list[str]) -> None:
    if mode == "rss2email":
        print(json.dumps(rss2email.measure(urls)))
        return
    if mode == "reader":
        result = reader_peer.measure(urls)
    elif mode == "baseline":
        result = baseline(urls)
    else:
        result = ours(urls, rerun=mode == "ours")
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


def small(feeds: int) -> list[dict[str, object]]:
    """Small feeds (50 entries of about 1.7 KB): parsing matters less, start-up more."""
    with serve(feeds, small=True) as urls:
        base = measure("baseline", urls)
        mine = measure("first", urls)
    assert mine["entries"] == base["entries"] == feeds * 50, (mine, base)
    return [
        {
            "figure": f"collect {feeds} small feeds (50 x 1.7 KB)",
            "ours": mine["seconds"],
            "baseline": base["seconds"],
            "baseline_name": "sequential httpx+feedparser",
            "peak_mb": max(mine["peak_mb"], mine["worker_peak_mb"]),
            "target": 0.7,
        }
    ]


def run(
    feeds: int = 120, with_rss2email: bool = True, with_reader: bool = True
) -> list[dict[str, object]]:
    missing = rss2email.unavailable() if with_rss2email else None
    no_reader = reader_peer.unavailable() if with_reader else "not asked for"
    with serve(feeds) as urls:
        base = measure("baseline", urls)
        # The feed server is another process (nginx) or this one's thread (aiohttp): this
        # process's CPU time is the server's only in the second case.
        server_cpu = cpu_seconds()
        mine = measure("ours", urls)
        server_cpu = cpu_seconds() - server_cpu
        peer = measure("reader", urls) if not no_reader else None
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
            f"most; feeds served by {server_name()} on loopback"
            + (
                f" (in this process: {server_cpu:.1f} s of CPU during our {ours_wall:.1f} s)"
                if server_name() == "aiohttp"
                else ""
            ),
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
    rows += _reader_rows(feeds, mine, peer, no_reader)
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
            # Both commands, start to exit: r2e can only be timed so. Until 2026-12 our side
            # was the in-process rerun (no interpreter start, imports or config), which made
            # this ratio look several times better than what cron pays.
            "figure": f"rerun command, {feeds} unchanged, vs rss2email {rss2email.VERSION}",
            "ours": mine["command_rerun_seconds"],
            "baseline": theirs["rerun_seconds"],
            "baseline_name": "r2e run --no-send again (all 304)",
            "peak_mb": mine["peak_mb"],
            "target": 0.15,
            "note": "rerun command: `newsletter collect` took "
            f"{mine['command_rerun_seconds']:.2f} s start to exit (the collect itself "
            f"{mine['rerun_seconds']:.2f} s in-process), "
            f"`r2e run --no-send` {theirs['rerun_seconds']:.2f} s; both fetch all {feeds} "
            "feeds and get 304s",
        },
    ]


def _reader_rows(
    feeds: int, mine: dict[str, float], peer: dict[str, float] | None, reason: str | None
) -> list[dict[str, object]]:
    if peer is None:
        return [{"figure": f"reader {reader_peer.VERSION}, {feeds} feeds", "skipped": reason}]
    assert peer["entries"] == feeds * 50, peer
    return [
        {
            "figure": f"collect {feeds} feeds, vs reader {reader_peer.VERSION}",
            "ours": mine["seconds"],
            "baseline": peer["seconds"],
            "baseline_name": "reader update_feeds(), same feeds",
            "peak_mb": max(mine["peak_mb"], mine["worker_peak_mb"]),
            "target": 0.5,
        },
        {
            "figure": f"collect rerun, {feeds} unchanged, vs reader {reader_peer.VERSION}",
            "ours": mine["rerun_seconds"],
            "baseline": peer["rerun_seconds"],
            "baseline_name": "reader update_feeds() again (all 304)",
            "peak_mb": mine["peak_mb"],
            "target": 0.3,
        },
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--feeds", type=int, default=120)
    parser.add_argument("--child", choices=["baseline", "ours", "first", "reader", "rss2email"])
    parser.add_argument("--no-rss2email", action="store_true")
    parser.add_argument("--no-reader", action="store_true")
    parser.add_argument("--small", type=int, metavar="FEEDS", help="also time small feeds")
    args = parser.parse_args()
    if args.child:
        child(args.child, json.loads(sys.stdin.read()))
        return
    from bench.table import print_table

    rows = run(args.feeds, not args.no_rss2email, not args.no_reader)
    print_table(rows + (small(args.small) if args.small else []))


if __name__ == "__main__":
    main()
