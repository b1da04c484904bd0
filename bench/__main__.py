"""`make bench`: run every benchmark of bench/ and print one table.

``python -m bench`` takes about nine minutes on 2 cores, and about three more as root
(the row through a real Postfix, which skips otherwise); ``--full`` adds PostgreSQL at
1,000,000 subscribers (about twelve minutes more); ``--only collect,send`` runs some of them.
The PostgreSQL rows run when PostgreSQL is reachable (NEWSLETTER_TEST_POSTGRES_URL, default
the local test database) and say why not otherwise.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections.abc import Callable

from bench import (
    collect,
    collectors_pg,
    federate,
    preferences,
    programmes,
    publish,
    scale_pg,
    send,
    send_postfix,
    startup,
    subscribe_load,
)
from bench.table import print_table

Rows = list[dict[str, object]]


def benchmarks(full: bool) -> dict[str, Callable[[], Rows]]:
    pg_sizes = (100_000, 1_000_000) if full else (20_000, 100_000)
    # subscribe_load runs in this process: first, so its peak is not the feed servers'.
    return {
        "subscribe": subscribe_load.run,
        "startup": startup.run,
        "collect": lambda: collect.run(500),
        "collect_small": lambda: collect.small(300),
        "collect1000": lambda: collect.run(1000, with_rss2email=False, with_reader=False),
        "publish": publish.run,
        "send": send.run,
        "preferences": preferences.run,
        "programmes": programmes.run,
        # Into a real Postfix (root only, else a skipped row): one round, not bench/send.py's
        # three, as 20,000 messages take a minute or so a side; `python -m
        # bench.send_postfix` takes medians of 3.
        "postfix": lambda: send_postfix.run(20_000, rounds=1),
        "federate": federate.run,
        "pg": lambda: scale_pg.run(pg_sizes),
        "collectors": lambda: collectors_pg.run(300),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--full", action="store_true", help="PostgreSQL at 1,000,000 too")
    parser.add_argument("--only", help="comma-separated: " + ", ".join(benchmarks(False)))
    args = parser.parse_args()
    chosen = benchmarks(args.full)
    names = args.only.split(",") if args.only else list(chosen)
    unknown = [name for name in names if name not in chosen]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; pick from {', '.join(chosen)}")
    rows: Rows = []
    failed = []
    started = time.perf_counter()
    for name in names:
        print(f"bench: {name} …", file=sys.stderr, flush=True)
        try:
            rows += chosen[name]()
        except Exception as exc:  # one broken benchmark must not lose the others' rows
            traceback.print_exc()
            failed.append(name)
            rows.append({"figure": f"{name}: failed", "skipped": f"{type(exc).__name__}: {exc}"})
    print_table(rows)
    print(f"\n{len(rows)} rows in {time.perf_counter() - started:.0f} s")
    if failed:
        sys.exit(f"bench: {', '.join(failed)} failed (see above)")


if __name__ == "__main__":
    main()
