"""Deliver one post to 10,000 followers on 100 loopback servers: newsletter's federation
(the ledger on SQLite: the activity queued for every follower's inbox in one INSERT …
SELECT, claims of 500 committed before any POST, answers written as they come back, POSTs
concurrent, a few per server) against a plain signed-POST loop with the same library
(aiohttp, each POST signed by the same draft-cavage signer), in the same run.

Run as ``python -m bench.federate [--followers 10000] [--servers 100]``. The followers have
an inbox each (10,000 POSTs): a server without a shared inbox, the costly case. A second
row gives every server a shared inbox (100 POSTs for the 10,000). The inboxes are a minimal
asyncio HTTP server on 100 ports in its own process, answering 202 to every POST and
counting them, so it is not the bottleneck. Each side runs in its own process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path
from typing import Any

from bench.memory import cpu_seconds, peak_mb

ACTIVITY_JSON = "application/activity+json"

# The inboxes


class InboxProtocol(asyncio.Protocol):
    """Just enough HTTP/1.1: read a request's head and its Content-Length of body, answer
    202 with no body, keep the connection."""

    def __init__(self, counter: Synchronized[int]) -> None:
        self.counter = counter
        self.buffer = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].lower()
            marker = head.find(b"content-length:")
            length = int(head[marker + 15 :].split(b"\r\n", 1)[0]) if marker >= 0 else 0
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length :]
            with self.counter.get_lock():
                self.counter.value += 1
            self.transport.write(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")


def run_inboxes(
    servers: int, ports: multiprocessing.Queue[list[int]], counter: Synchronized[int]
) -> None:
    async def serve() -> None:
        loop = asyncio.get_running_loop()
        opened = [
            await loop.create_server(lambda: InboxProtocol(counter), "127.0.0.1", 0, backlog=256)
            for _ in range(servers)
        ]
        ports.put([server.sockets[0].getsockname()[1] for server in opened])
        await asyncio.Event().wait()

    asyncio.run(serve())


@contextmanager
def inboxes(servers: int) -> Iterator[tuple[list[int], Synchronized[int]]]:
    """The inbox servers in their own process; yields their ports and the POSTs counter."""
    context = multiprocessing.get_context("spawn")
    ports: multiprocessing.Queue[list[int]] = context.Queue()
    counter: Synchronized[int] = context.Value("q", 0)
    process = context.Process(target=run_inboxes, args=(servers, ports, counter), daemon=True)
    process.start()
    try:
        yield ports.get(timeout=60), counter
    finally:
        process.terminate()
        process.join()
        ports.close()


def follower_inboxes(ports: list[int], followers: int, shared: bool) -> list[str]:
    """Each follower's delivery inbox, the followers spread evenly over the servers."""
    servers = [f"http://127.0.0.1:{port}" for port in ports]
    if shared:
        return [f"{servers[n % len(servers)]}/inbox" for n in range(followers)]
    return [f"{servers[n % len(servers)]}/users/{n}/inbox" for n in range(followers)]


# The two sides


def _site(folder: Path) -> Any:
    from newsletter.config import load_settings

    (folder / "feeds.yaml").write_text(
        "site:\n  title: Bench\n  url: https://bench.example/\n"
        "newsletter:\n  from: Bench <news@bench.example>\nfeeds: []\n"
        "fediverse:\n  username: news\n  allow_private_addresses: true\n"
    )
    environ = {
        "NEWSLETTER_SECRET_KEY": "bench-secret-key-0123456789abcdef",
        "NEWSLETTER_BASE_URL": "http://127.0.0.1:8000/",
    }
    return load_settings(folder / "feeds.yaml", environ)


def baseline(ports: list[int], followers: int, shared: bool, concurrent: bool) -> dict[str, float]:
    """A plain loop: for each distinct inbox, sign the activity's POST (the same signer as
    ours) and send it with aiohttp, one after the other (or all at once, 32 at a time, with
    ``concurrent``); no ledger, no retries, nothing recorded."""
    import aiohttp

    from newsletter.fediverse.keys import new_private_key_pem
    from newsletter.fediverse.signatures import signed_headers

    pem, key_id = new_private_key_pem(), "http://127.0.0.1:8000/actor#main-key"
    body = json.dumps(_activity()).encode("utf-8")
    targets = list(dict.fromkeys(follower_inboxes(ports, followers, shared)))

    async def post(session: aiohttp.ClientSession, url: str) -> int:
        headers = {"Content-Type": ACTIVITY_JSON}
        headers.update(signed_headers(pem, key_id, "POST", url, body, datetime.now(UTC)))
        async with session.post(url, data=body, headers=headers) as response:
            await response.read()
            return response.status

    async def send_all() -> list[int]:
        async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=32, limit_per_host=2)
        ) as session:
            if not concurrent:
                return [await post(session, url) for url in targets]
            return list(await asyncio.gather(*(post(session, url) for url in targets)))

    started, cpu = time.perf_counter(), cpu_seconds()
    statuses = asyncio.run(send_all())
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    assert statuses == [202] * len(targets), set(statuses)
    return {"seconds": seconds, "cpu": cpu, "posts": float(len(targets))}


def ours(ports: list[int], followers: int, shared: bool) -> dict[str, float]:
    """The whole path on SQLite: the post queued for every follower (one INSERT … SELECT),
    then deliver() until nothing is due."""
    from newsletter.fediverse.account import open_account
    from newsletter.fediverse.activities import PostContent
    from newsletter.fediverse.delivery import deliver
    from newsletter.fediverse.posts import plan
    from newsletter.store import open_store

    def clock() -> datetime:
        return datetime.now(UTC)

    with tempfile.TemporaryDirectory() as folder:
        settings = _site(Path(folder))
        store = open_store(settings.env.database_url)
        try:
            account = open_account(settings, store, clock())
            _fill(store, ports, followers, shared)
            post = PostContent("entry:1", _activity()["object"]["content"], None, clock())
            started, cpu = time.perf_counter(), cpu_seconds()
            store.publish_activities(plan([post], {}, {}, account.identity, clock()), clock())
            report = deliver(store, account, clock, "bench")
            seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
        finally:
            store.close()
    expected = len(set(follower_inboxes(ports, followers, shared)))
    assert report.sent == expected and report.retrying == report.failed == 0, report.summary()
    return {"seconds": seconds, "cpu": cpu, "posts": float(report.sent)}


def _activity() -> dict[str, Any]:
    """A Create of a Note the size of ours (a title, a 400-character summary, a link)."""
    content = (
        "<p><strong>Hill repeats for beginners</strong></p><p>"
        + "Start with four repeats of a minute up a gentle hill, jog down, and add one a week. " * 5
        + '</p><p><a href="https://www.example.com/hills">https://www.example.com/hills</a></p>'
    )
    note = {"id": "http://127.0.0.1:8000/actor/notes/entry-1", "type": "Note"}
    return {"id": note["id"] + "/create", "type": "Create", "object": {**note, "content": content}}


def _fill(store: Any, ports: list[int], followers: int, shared: bool) -> None:
    """The followers, each with its inbox (and its server's shared inbox with ``shared``)."""
    from sqlalchemy import insert

    from newsletter.store.models import FediverseFollower

    now = datetime.now(UTC)
    rows = []
    for n in range(followers):
        server = f"http://127.0.0.1:{ports[n % len(ports)]}"
        actor = f"{server}/users/{n}"
        rows.append(
            {
                "actor": actor,
                "inbox": actor + "/inbox",
                "shared_inbox": server + "/inbox" if shared else None,
                "followed_at": now,
            }
        )
    with store.engine.begin() as connection:
        connection.execute(insert(FediverseFollower), rows)


def child(mode: str, ports: list[int], followers: int, shared: bool) -> None:
    if mode == "ours":
        result = ours(ports, followers, shared)
    else:
        result = baseline(ports, followers, shared, concurrent=mode == "gather")
    result["peak_mb"] = peak_mb()
    print(json.dumps(result))


def measure(mode: str, ports: list[int], followers: int, shared: bool) -> dict[str, float]:
    command = [sys.executable, "-m", "bench.federate", "--child", mode]
    command += ["--ports", ",".join(map(str, ports)), "--followers", str(followers)]
    command += ["--shared"] if shared else []
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return dict(json.loads(output.strip().splitlines()[-1]))


def run(followers: int = 10_000, servers: int = 100, rounds: int = 3) -> list[dict[str, object]]:
    """The three sides alternate, ``rounds`` times each, and their medians are compared."""
    rows: list[dict[str, object]] = []
    with inboxes(servers) as (ports, counter):
        for shared in (False, True):
            runs: dict[str, list[dict[str, float]]] = {"loop": [], "gather": [], "ours": []}
            for _ in range(rounds):
                for mode in runs:
                    before = counter.value
                    runs[mode].append(measure(mode, ports, followers, shared))
                    posts = counter.value - before
                    assert posts == runs[mode][-1]["posts"], (mode, posts)  # each once
            rows += _rows(runs, followers, servers, shared, rounds)
    return rows


def _rows(
    runs: dict[str, list[dict[str, float]]], followers: int, servers: int, shared: bool, rounds: int
) -> list[dict[str, object]]:
    mine, loop, gather = (_median(runs[mode]) for mode in ("ours", "loop", "gather"))
    posts = int(mine["posts"])
    how = "a shared inbox per server" if shared else "an inbox each"
    figure = f"federate 1 post, {followers:,} followers ({how}) on {servers} servers"
    return [
        {
            "figure": f"{figure}: {posts:,} POSTs",
            "ours": mine["seconds"],
            "baseline": loop["seconds"],
            "baseline_name": f"plain signed-POST loop, aiohttp (median of {rounds})",
            "peak_mb": mine["peak_mb"],
            "target": 1.0,  # issue 23
        },
        {
            "figure": "  the same, vs the POSTs all at once (asyncio.gather, 32 at a time)",
            "ours": mine["seconds"],
            "baseline": gather["seconds"],
            "baseline_name": "signed POSTs, aiohttp, no ledger",
            "peak_mb": mine["peak_mb"],
            "target": None,
        },
        {
            "figure": "  the same, CPU seconds (vs the plain loop)",
            "ours": mine["cpu"],
            "baseline": loop["cpu"],
            "baseline_name": "the plain loop's CPU seconds",
            "peak_mb": mine["peak_mb"],
            "target": None,
        },
    ]


def _median(results: list[dict[str, float]]) -> dict[str, float]:
    ordered = sorted(results, key=lambda result: result["seconds"])
    return ordered[len(ordered) // 2]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--followers", type=int, default=10_000)
    parser.add_argument("--servers", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--ports")
    parser.add_argument("--shared", action="store_true")
    parser.add_argument("--child", choices=["loop", "gather", "ours"])
    args = parser.parse_args()
    if args.child:
        ports = [int(port) for port in args.ports.split(",")]
        child(args.child, ports, args.followers, args.shared)
        return
    from bench.table import print_table

    print_table(run(args.followers, args.servers, args.rounds))


if __name__ == "__main__":
    main()
