"""PostgreSQL at N subscribers: queue a digest's deliveries, send them with 4 processes.

Run as ``python -m bench.scale_pg [--sizes 20000,100000]`` or, for the full figure,
``python -m bench.scale_pg --subscribers 1000000`` (which also measures 100,000, to show
that memory is flat in N). Needs PostgreSQL at NEWSLETTER_TEST_POSTGRES_URL (default
postgresql+psycopg://postgres@127.0.0.1:5432/test); each size runs in a fresh schema that
is dropped afterwards.

For each size: N active subscribers are inserted with one INSERT … SELECT generate_series;
a digest is recorded; ``queue_deliveries`` (the real INSERT … SELECT of the sender's rows)
is timed against the floor of copying the same N ids into a table without any index; then
``--senders`` real ``python -m newsletter send`` processes share the digest (SKIP LOCKED)
and send to a counting SMTP sink in its own process. The sink counts messages per
recipient; afterwards every subscriber must have exactly one message, nobody else any.
Peak memory of each sender is its VmHWM, sampled from /proc while it runs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from bench import send as send_bench
from bench.counting_sink import counting_sink
from bench.memory import Watcher, cpu_seconds, peak_mb
from bench.pg_setup import fill, fresh_schema, limit_sending, postgres_url, unreachable

SECRET = "bench-secret-key-0123456789abcdef"
SAMPLE = 20_000  # messages the raw smtplib baseline sends; scaled linearly to N
TIMEOUT = 3 * 3600  # seconds a send of any size may take before the bench gives up


# Sending with several processes


def sender_environment(url: str, port: int, site: Path) -> dict[str, str]:
    """This environment without any NEWSLETTER_* variable (unknown ones are refused), plus
    the sender's database, relay and site."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("NEWSLETTER_")}
    (site / "feeds.yaml").write_text(
        "site:\n  title: Bench\n  url: https://bench.example/\n"
        f"newsletter:\n  from: Bench <{send_bench.SENDER}>\nfeeds: []\n"
    )
    return environ | {
        "NEWSLETTER_CONFIG": str(site / "feeds.yaml"),
        "NEWSLETTER_DATABASE_URL": url,
        "NEWSLETTER_SMTP_URL": f"smtp://127.0.0.1:{port}",
        "NEWSLETTER_SECRET_KEY": SECRET,
        "NEWSLETTER_BASE_URL": "https://news.bench.example",
    }


def send_with_processes(
    url: str, port: int, sink_pid: int, senders: int, workers: int
) -> dict[str, Any]:
    """``senders`` x ``python -m newsletter send --workers W`` at once, on one digest."""
    command = [sys.executable, "-m", "newsletter", "send", "--workers", str(workers)]
    with tempfile.TemporaryDirectory() as folder:
        environ = sender_environment(url, port, Path(folder))
        sink_cpu = cpu_seconds(sink_pid)
        started = time.perf_counter()
        processes = [
            subprocess.Popen(
                command, env=environ, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
            )
            for _ in range(senders)
        ]
        with Watcher([p.pid for p in processes]) as watcher:
            outputs = [p.communicate(timeout=TIMEOUT)[0].decode() for p in processes]
        wall = time.perf_counter() - started
        sink_cpu = cpu_seconds(sink_pid) - sink_cpu
    # A sender that stopped is a finding, not a crash of the bench: its last line is kept.
    failed = [
        out.strip().splitlines()[-1] if out.strip() else f"exit status {p.returncode}"
        for p, out in zip(processes, outputs, strict=True)
        if p.returncode != 0
    ]
    return {
        "failures": failed,
        "seconds": wall,
        "peaks": [watcher.peaks[p.pid] for p in processes],
        "cpu": [watcher.cpu[p.pid] for p in processes],
        "sink_cpu": sink_cpu,
        "summaries": [out.strip().splitlines()[-1] for out in outputs],
    }


def verify(url: str, sink: Connection, size: int) -> dict[str, int]:
    """Compare what the sink received with the subscribers whose delivery was due."""
    from sqlalchemy import text

    from newsletter.store.engine import make_engine

    sink.send("report")
    report = sink.recv()
    counts: bytes = report["counts"]
    engine = make_engine(url)
    expected = bytearray(size)
    with engine.connect() as connection:
        rows = connection.execution_options(stream_results=True, yield_per=50_000).execute(
            text(
                "SELECT s.email FROM subscribers s JOIN deliveries d ON d.subscriber_id = s.id "
                "WHERE s.state = 'active' AND d.state <> 'skipped'"
            )
        )
        for (email,) in rows:
            expected[int(email[6:13])] = 1
        grouped = connection.execute(text("SELECT state, count(*) FROM deliveries GROUP BY state"))
        states: dict[str, int] = {state: int(count) for state, count in grouped}
    engine.dispose()
    missed = duplicates = unexpected = 0
    for want, got in zip(expected, counts, strict=True):
        missed += want and not got
        duplicates += got > 1
        unexpected += got and not want
    return {
        "expected": sum(expected),
        "received": sum(counts) + report["strangers"],
        "missed": missed,
        "duplicates": duplicates,
        "unexpected": unexpected + report["strangers"],
        "sent_rows": int(states.get("sent", 0)),
    }


def measure(size: int, senders: int, workers: int, send_limit: int | None) -> dict[str, Any]:
    """One size, start to end, in a fresh schema."""
    with fresh_schema(postgres_url()) as url:
        result: dict[str, Any] = fill(url, size)
        result["due"] = limit_sending(url, send_limit) if send_limit else size
        with counting_sink(size) as (port, sink, sink_pid):
            result |= send_with_processes(url, port, sink_pid, senders, workers)
            result |= verify(url, sink, size)
    result["peak_mb"] = peak_mb()  # this process: the queueing and the checks
    return result


def baseline_seconds(count: int) -> float:
    """Raw smtplib over one connection, the same bytes, to the plain bench sink."""
    with send_bench.sink() as port:
        return send_bench.measure("baseline", port, count)["seconds"]


def child(size: int, senders: int, workers: int, send_limit: int | None) -> None:
    print(json.dumps(measure(size, senders, workers, send_limit)))


def measure_in_child(
    size: int, senders: int, workers: int, send_limit: int | None
) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.scale_pg", "--child", str(size)]
    command += ["--senders", str(senders), "--workers", str(workers)]
    command += ["--send-limit", str(send_limit)] if send_limit else []
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def rows_for(
    size: int,
    found: dict[str, Any],
    per_message: float,
    senders: int,
    workers: int,
    sample: int,
) -> list[dict[str, object]]:
    due = int(found["due"])
    clean = found["missed"] == found["duplicates"] == found["unexpected"] == 0
    clean = clean and found["received"] == found["sent_rows"] == due and not found["failures"]
    checked = (
        f"0 duplicates, 0 missed of {due:,}"
        if clean
        else f"FAILED: {found['duplicates']} duplicates, {found['missed']} missed, "
        f"{found['unexpected']} unexpected, {found['received']:,} received of {due:,}"
    )
    if found["failures"]:
        stopped = "; ".join(sorted(set(found["failures"])))
        checked += f"; {len(found['failures'])} send process(es) stopped: {stopped}"
    peaks = ", ".join(f"{p:.0f}" for p in found["peaks"])
    capped = f" (capped at {due:,} of {size:,})" if due != size else ""
    return [
        {
            "figure": f"PG {size:,} subscribers: queue_deliveries (INSERT … SELECT)",
            "ours": found["queue"],
            "baseline": found["floor"],
            "baseline_name": "same ids into a table with no index",
            "peak_mb": found["peak_mb"],
            "target": None,
            "note": f"inserting the {size:,} subscribers took {found['insert']:.1f} s "
            "(one INSERT … SELECT generate_series)",
        },
        {
            "figure": f"PG {size:,}: send{capped}, {senders} processes x {workers} workers: "
            + (f"{due / found['seconds']:,.0f} msg/s" if clean else "FAILED"),
            "ours": found["seconds"],
            "baseline": per_message * due,
            "baseline_name": f"raw smtplib, 1 connection, {sample:,} scaled to {due:,}",
            "peak_mb": max(found["peaks"]),
            "target": None,
            "note": f"PG {size:,}: {checked}; peak MB per send process: {peaks} "
            f"(target ≤ 150, flat in N); sink CPU {found['sink_cpu']:.0f} s of "
            f"{found['seconds']:.0f} s wall",
        },
    ]


def run(
    sizes: tuple[int, ...] = (20_000, 100_000),
    senders: int = 4,
    workers: int = 2,
    send_limit: int | None = None,
    sample: int = SAMPLE,
) -> list[dict[str, object]]:
    reason = unreachable(postgres_url())
    if reason:
        return [{"figure": "PG scale", "skipped": f"{reason}: the PostgreSQL rows were not run"}]
    base = baseline_seconds(sample) / sample  # seconds per message
    rows: list[dict[str, object]] = []
    for size in sizes:
        found = measure_in_child(size, senders, workers, send_limit)
        rows += rows_for(size, found, base, senders, workers, sample)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="20000,100000", help="subscriber counts to measure")
    parser.add_argument(
        "--subscribers", type=int, help="the full figure: measure 100,000 and this many"
    )
    parser.add_argument("--senders", type=int, default=4, help="`newsletter send` processes")
    parser.add_argument("--workers", type=int, default=2, help="--workers of each")
    parser.add_argument("--send-limit", type=int, help="send only this many of the queued")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.senders, args.workers, args.send_limit)
        return
    from bench.table import print_table

    sizes = tuple(int(n) for n in args.sizes.split(","))
    if args.subscribers:
        sizes = tuple(sorted({min(100_000, args.subscribers), args.subscribers}))
    print_table(run(sizes, args.senders, args.workers, args.send_limit))


if __name__ == "__main__":
    main()
