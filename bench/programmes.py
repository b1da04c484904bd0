"""Programmes at scale (issue 22): 100,000 readers spread evenly over the 11 steps of the
shipped programme, all due the same day, queued and sent by one run's programmes step,
against the digest built, queued and sent to the same 100,000 readers in the same bench run,
on SQLite and on PostgreSQL.

Each side runs in its own process on its own database with the same readers, feeds and
articles (bench/preferences.py's site), and sends to the same loopback sink with one worker,
as `newsletter run` sends both. Setup (readers, articles, the enrolments: a bulk insert) is
not timed. Timed: `run`'s own steps, the programme side's ``run_programmes`` (render 11
steps, queue them, send 11 mailings), the digest side's ``build_due_digest`` and
``send_due_digest``. The target is at least 0.8x the digest's rate (a time ratio of at most
1.25) with the same peak memory, measured over the timed part alone (the peak is reset
after setup).

Run as ``python -m bench.programmes [--readers 100000] [--rounds 3]`` (medians of 3;
`make bench` runs one round).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench import pg_setup
from bench import preferences as site_bench
from bench import send as send_bench
from bench.memory import cpu_seconds, peak_mb, reset_peak

# The day after the digest's Monday, after the send hour: a programme day.
STEPS_AT = site_bench.SEND_AT + timedelta(days=1, hours=1)
TARGET = 1.25  # issue 22: at least 0.8x the digest's rate
STEPS = 11  # the shipped programme's


def open_site(folder: Path, database_url: str | None, port: int) -> tuple[Any, Any]:
    """bench/preferences.py's site (its settings and store), sending to the sink."""
    from newsletter.config import load_settings
    from newsletter.store import open_store

    (folder / "feeds.yaml").write_text(site_bench.SITE, encoding="utf-8")
    environ = {
        "NEWSLETTER_SMTP_URL": f"smtp://127.0.0.1:{port}",
        "NEWSLETTER_SECRET_KEY": "bench-secret-key-0123456789abcdef",
        "NEWSLETTER_BASE_URL": "https://news.bench.example/",
    }
    if database_url:
        environ["NEWSLETTER_DATABASE_URL"] = database_url
    settings = load_settings(folder / "feeds.yaml", environ)
    return settings, open_store(settings.env.database_url)


def digest_side(settings: Any, store: Any) -> dict[str, float]:
    """`run`'s digest and send steps at the digest's send time (one worker, the readers'
    variants, the footer offering the programmes)."""
    from newsletter.digest import build_due_digest
    from newsletter.programmes.readers import offer_titles
    from newsletter.run import send_due_digest

    at = site_bench.SEND_AT
    offers = offer_titles(settings.root)
    built = build_due_digest(settings, store, at, offers)
    assert built.status == "built", built
    report = send_due_digest(settings, store, lambda: at, offers)
    assert report.paused is None, report.summary()
    return {"sent": float(report.sent)}


def programme_side(settings: Any, store: Any) -> dict[str, float]:
    """`run`'s programmes step on the day every enrolled reader's next step is due."""
    from newsletter.programmes.due import run_programmes

    report = run_programmes(settings, store, lambda: STEPS_AT)
    assert report.paused is None, report.summary()
    assert len(report.queued) == STEPS, report.queued
    return {"sent": float(report.sent)}


def enrol_spread(store: Any, programme: Any, readers: int) -> None:
    """Every reader enrolled, reader n at step n % 11 + 1 with that step due today: a bulk
    insert, as if they had joined on days spread over the weeks before."""
    from sqlalchemy import insert, select

    from newsletter.store.models import Enrolment, Subscriber
    from newsletter.store.programmes import EnrolmentState

    today = STEPS_AT.date()

    def row(n: int, subscriber_id: int) -> dict[str, object]:
        done = n % programme.length  # steps received
        return {
            "subscriber_id": subscriber_id,
            "programme": programme.key,
            "state": EnrolmentState.ACTIVE.value,
            "steps_sent": done,
            "due_on": today.isoformat(),
            "last_day": (today - timedelta(days=7)).isoformat() if done else None,
            "joined_at": STEPS_AT - timedelta(weeks=done + 1),
            "updated_at": STEPS_AT - timedelta(weeks=1),
        }

    with store.engine.begin() as connection:
        ids = connection.scalars(select(Subscriber.id).order_by(Subscriber.id)).all()
        for start in range(0, len(ids), 10_000):  # in slices: setup's memory stays small
            chunk = enumerate(ids[start : start + 10_000], start)
            connection.execute(insert(Enrolment), [row(n, id_) for n, id_ in chunk])
    assert len(ids) == readers


def ours(side: str, database_url: str | None, readers: int, port: int) -> dict[str, float]:
    from newsletter.programmes.file import load_site_programmes

    with tempfile.TemporaryDirectory() as folder:
        settings, store = open_site(Path(folder), database_url, port)
        try:
            site_bench.fill(store, settings, readers, spread=False)
            if side == "programmes":
                enrol_spread(store, load_site_programmes(settings.root)[0], readers)
            work = programme_side if side == "programmes" else digest_side
            reset_peak()
            started, cpu = time.perf_counter(), cpu_seconds()
            result = work(settings, store)
            result["seconds"] = time.perf_counter() - started
            result["cpu"] = cpu_seconds() - cpu
            result["peak_mb"] = peak_mb()
        finally:
            store.close()
    assert result["sent"] == readers, result
    return result


def measure(side: str, database_url: str, readers: int, port: int) -> dict[str, float]:
    command = [sys.executable, "-m", "bench.programmes", "--child", side, "--port", str(port)]
    command += ["--readers", str(readers), "--database-url", database_url]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return dict(json.loads(output.strip().splitlines()[-1]))


def both(database_url: str, readers: int, port: int, rounds: int) -> dict[str, dict[str, float]]:
    """Each side ``rounds`` times, alternating, each on a database of its own (a fresh
    schema on PostgreSQL); the median of each side's runs (by wall time)."""
    runs: dict[str, list[dict[str, float]]] = {"digest": [], "programmes": []}
    for _ in range(rounds):
        for side, results in runs.items():
            if not database_url:
                results.append(measure(side, "", readers, port))
                continue
            with pg_setup.fresh_schema(database_url) as url:
                results.append(measure(side, url, readers, port))
    return {side: send_bench.median(results) for side, results in runs.items()}


def run(readers: int = 100_000, rounds: int = 1) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    with send_bench.sink() as port:
        for name, url in pg_setup.databases("programmes", rows):
            results = both(url, readers, port, rounds)
            steps, digest = results["programmes"], results["digest"]
            rows.append(
                {
                    "figure": f"programmes: {readers:,} readers over 11 steps, {name}",
                    "ours": steps["seconds"],
                    "baseline": digest["seconds"],
                    "baseline_name": f"the digest to the same readers{_median(rounds)}",
                    "peak_mb": steps["peak_mb"],
                    "target": TARGET,
                    "note": (
                        f"programmes, {name}: {readers / steps['seconds']:,.0f} step emails/s "
                        f"vs {readers / digest['seconds']:,.0f} digests/s; CPU "
                        f"{steps['cpu']:.1f} s vs {digest['cpu']:.1f} s; peak while timed "
                        f"{steps['peak_mb']:.0f} MB vs {digest['peak_mb']:.0f} MB"
                    ),
                }
            )
            rows.append(
                {
                    "figure": "  the same, CPU seconds (the load-proof figure)",
                    "ours": steps["cpu"],
                    "baseline": digest["cpu"],
                    "baseline_name": "the digest's CPU seconds",
                    "peak_mb": digest["peak_mb"],
                    "target": None,
                }
            )
    return rows


def _median(rounds: int) -> str:
    return f" (medians of {rounds})" if rounds > 1 else ", same bench run"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--readers", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", choices=["digest", "programmes"])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    if args.child:
        result = ours(args.child, args.database_url or None, args.readers, args.port)
        print(json.dumps(result))
        return
    from bench.table import print_table

    print_table(run(args.readers, args.rounds))


if __name__ == "__main__":
    main()
