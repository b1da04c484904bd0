"""Load check: 200 concurrent subscribe posts against the app under waitress, on SQLite.

Run as ``python -m bench.subscribe_load [--clients 200] [--threads 8]``. Each client is a
thread with its own cookie jar: it GETs ``/`` for its session cookie and form token, waits
at a barrier with all the others, then posts a different address. Passing means: no error
(every answer a 200), and as many distinct pending rows as clients (nothing lost), and as
many confirmation emails in the outbox (the work done after each answer).

The per-address rate limit would refuse all but the first few posts from 127.0.0.1, so
the app is built with ``rate_limits=UNLIMITED`` here (``create_app`` takes the limits).
The baseline is the same number of concurrent GETs of ``/`` (the form page: rendering, no
database write), so the ratio shows what the writes and emails cost on top.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import re
import resource
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

SITE = """\
site:
  title: Bench Running
  url: https://bench.example/
newsletter:
  from: Bench <news@bench.example>
feeds: []
"""
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
TIMEOUT = 120.0  # seconds any one client, or the wait for the emails, may take


@dataclass
class Outcome:
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)


def run_clients(base: str, clients: int, act: Callable[[httpx.Client, int, str], int]) -> Outcome:
    """``clients`` threads, each with its own client: GET / first (its cookie and form
    token), then all together ``act`` (which returns the status code). Timed from the
    barrier to the last answer."""
    barrier = threading.Barrier(clients + 1, timeout=TIMEOUT)
    outcome = Outcome()
    lock = threading.Lock()

    def client(number: int) -> None:
        with httpx.Client(base_url=base, timeout=TIMEOUT) as http:
            try:
                try:
                    token = form_token(http.get("/"))
                except Exception:
                    barrier.abort()  # everyone stops waiting: the run has failed
                    raise
                barrier.wait()
                status = act(http, number, token)
                problem = None if status == 200 else f"client {number}: HTTP {status}"
            except Exception as exc:
                problem = f"client {number}: {exc.__class__.__name__}: {exc}"
            if problem:
                with lock:
                    outcome.errors.append(problem)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    with contextlib.suppress(threading.BrokenBarrierError):  # the clients say what broke
        barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join(TIMEOUT)
    outcome.seconds = time.perf_counter() - started
    return outcome


def form_token(page: httpx.Response) -> str:
    page.raise_for_status()
    found = TOKEN.search(page.text)
    if found is None:
        raise ValueError("no form token on the page")
    return found.group(1)


def subscribe(http: httpx.Client, number: int, token: str) -> int:
    form = {"email": f"load{number}@bench.example", "csrf_token": token}
    return http.post("/", data=form).status_code


def view_form(http: httpx.Client, _number: int, _token: str) -> int:
    return http.get("/").status_code


def wait_for(count: Callable[[], int], wanted: int) -> int:
    """Poll (a benchmark may; tests never do) until ``count()`` reaches ``wanted``."""
    deadline = time.monotonic() + TIMEOUT
    found = count()
    while found < wanted and time.monotonic() < deadline:
        time.sleep(0.05)
        found = count()
    return found


def measure(clients: int, threads: int) -> dict[str, Any]:
    # waitress logs each time requests queue up for its threads: expected here.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    from newsletter.config import load_settings
    from newsletter.store import open_store
    from newsletter.store.subscribers import SubscriberState
    from newsletter.web import UNLIMITED, create_app
    from newsletter.web.server import make_server

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "feeds.yaml").write_text(SITE, encoding="utf-8")
        settings = load_settings(
            root / "feeds.yaml", {"NEWSLETTER_SECRET_KEY": "b" * 40, "NEWSLETTER_OUTBOX": "outbox"}
        )
        outbox = settings.env.outbox
        assert outbox is not None
        store = open_store(settings.env.database_url)
        server = make_server(
            create_app(settings, store, rate_limits=UNLIMITED), "127.0.0.1", 0, threads
        )
        runner = threading.Thread(target=server.run, daemon=True)
        runner.start()
        base = f"http://127.0.0.1:{server.port}"
        try:
            baseline = run_clients(base, clients, view_form)
            ours = run_clients(base, clients, subscribe)
            emails = wait_for(lambda: len(list(outbox.glob("*.eml"))), clients)
            pending = {s.email_key for s in store.iter_subscribers([SubscriberState.PENDING])}
        finally:
            server.close()
            runner.join(TIMEOUT)
            store.close()
    return {
        "ours": ours,
        "baseline": baseline,
        "rows": len(pending),
        "emails": emails,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run(clients: int = 200, threads: int = 8) -> list[dict[str, object]]:
    found = measure(clients, threads)
    ours, baseline = found["ours"], found["baseline"]
    print(
        f"subscribe load: {clients} concurrent posts, {len(ours.errors)} error(s), "
        f"{found['rows']} distinct pending rows, {found['emails']} confirmation emails; "
        f"baseline GETs: {len(baseline.errors)} error(s)",
        file=sys.stderr,
    )
    for problem in (ours.errors + baseline.errors)[:10]:
        print(f"  {problem}", file=sys.stderr)
    if ours.errors or baseline.errors or found["rows"] != clients or found["emails"] != clients:
        raise SystemExit("subscribe load check FAILED: errors or lost rows (see above)")
    return [
        {
            "figure": f"{clients} concurrent subscribe posts, SQLite; 0 errors",
            "ours": ours.seconds,
            "baseline": baseline.seconds,
            "baseline_name": f"{clients} concurrent GET / (the form page)",
            "peak_mb": found["peak_mb"],
            "target": None,
        }
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--threads", type=int, default=8, help="waitress worker threads")
    args = parser.parse_args()
    from bench.table import print_table

    print_table(run(args.clients, args.threads))


if __name__ == "__main__":
    main()
