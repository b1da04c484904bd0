"""Several collectors over one PostgreSQL: 1, 2 and 3 ``newsletter collect`` processes
started together on the same feeds, each set in a fresh schema.

Run as ``python -m bench.collectors_pg [--feeds 300]``. The feeds (50 entries, about
140 KiB each) are served by nginx (or aiohttp) on loopback, which logs every request's
path: afterwards every feed must have been fetched exactly once in the round, whatever
the number of collectors. The ratio is each wall time against one collector's, measured
in the same run. On 2 cores, parsing (the cost of a first collect) cannot go faster with
more processes: what several collectors buy is another machine's cores, and a round that
goes on when one machine is lost.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench import feeds as feed_server
from bench.pg_setup import fresh_schema, postgres_url, unreachable
from bench.table import print_table

Row = dict[str, object]
TIMEOUT = 1800  # seconds a round may take before the bench gives up


def _site(folder: Path, urls: list[str]) -> Path:
    listed = "".join(f"  - name: Feed {n}\n    url: {url}\n" for n, url in enumerate(urls))
    config = folder / "feeds.yaml"
    config.write_text(
        "site:\n  title: Bench\n  url: https://bench.example/\n"
        "newsletter:\n  from: Bench <news@bench.example>\n"
        f"feeds:\n{listed}"
    )
    return config


def _round(config: Path, url: str, collectors: int) -> tuple[float, list[int]]:
    """Wall time of ``collectors`` processes collecting together; the feeds each fetched."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("NEWSLETTER_")}
    environ |= {"NEWSLETTER_CONFIG": str(config), "NEWSLETTER_DATABASE_URL": url}
    command = [sys.executable, "-m", "newsletter", "collect"]
    started = time.perf_counter()
    processes = [
        subprocess.Popen(command, env=environ, stdout=subprocess.PIPE, text=True)
        for _ in range(collectors)
    ]
    outputs = [process.communicate(timeout=TIMEOUT)[0] for process in processes]
    seconds = time.perf_counter() - started
    if any(process.returncode for process in processes):
        raise RuntimeError(f"a collector failed: {outputs}")
    return seconds, [int(re.findall(r"collected (\d+) feed", out)[0]) for out in outputs]


def run(feeds: int = 300, counts: tuple[int, ...] = (1, 2, 3)) -> list[Row]:
    url = postgres_url()
    reason = unreachable(url)
    if reason:
        return [{"figure": f"{n} collector(s), {feeds} feeds", "skipped": reason} for n in counts]
    rows: list[Row] = []
    baseline = 0.0
    with tempfile.TemporaryDirectory(prefix="bench-collectors-") as name:
        folder = Path(name)
        for collectors in counts:
            log = folder / f"access-{collectors}.log"
            log.touch(mode=0o666)
            with feed_server.serve(feeds, access_log=log) as urls, fresh_schema(url) as scoped:
                seconds, shares = _round(_site(folder, urls), scoped, collectors)
            requests = Counter(log.read_text().split())
            baseline = baseline or seconds
            rows.append(_row(feeds, collectors, seconds, baseline, shares, requests))
    return rows


def _row(
    feeds: int,
    collectors: int,
    seconds: float,
    baseline: float,
    shares: list[int],
    requests: Counter[str],
) -> Row:
    per_feed = Counter(requests.values())
    missed = feeds - len(requests)
    twice = sum(count for times, count in per_feed.items() if times > 1)
    return {
        "figure": f"{collectors} collector(s), {feeds} feeds of 50 entries, first round",
        "ours": seconds,
        "baseline": baseline,
        "baseline_name": "1 collector, same run",
        "peak_mb": 0,
        "target": None,
        "note": (
            f"{collectors} collector(s): feeds fetched by each {shares}; requests per feed "
            f"{dict(sorted(per_feed.items()))}; fetched more than once {twice}, missed {missed}"
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.collectors_pg")
    parser.add_argument("--feeds", type=int, default=300)
    parser.add_argument("--collectors", default="1,2,3", help="comma-separated counts")
    args = parser.parse_args()
    counts = tuple(int(n) for n in args.collectors.split(","))
    print_table(run(args.feeds, counts))


if __name__ == "__main__":
    main()
