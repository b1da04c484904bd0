"""Send N digest emails to a loopback SMTP sink: newsletter's sender vs raw smtplib.

Run as ``python -m bench.send [--messages 5000] [--lists 10000,100000]``. The sink is a
minimal asyncio SMTP server in its own process that answers 250 to everything, so it is not
the bottleneck (aiosmtpd would be: ~4 ms of CPU per message). The baseline sends the very
same bytes over one smtplib connection; ours is the whole pipeline (SQLite rows claimed,
marked sending 8 at a time and sent, messages personalized, signed unsubscribe links). Each
side runs in its own process, so its peak memory is its own. The memory rows queue and send
whole lists of 10k and 100k subscribers: their peaks should be the same.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import smtplib
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from bench.memory import cpu_seconds, peak_mb

SENDER = "news@bench.example"
SUBJECT = "Best Running Tips: the week in running"


# The sink


class SinkProtocol(asyncio.Protocol):
    """Just enough SMTP: 250 to every command, 354 then 250 around each message."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.buffer = b""
        self.in_data = False
        transport.write(b"220 sink ESMTP\r\n")

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            if self.in_data:
                end = self.buffer.find(b"\r\n.\r\n")
                if end < 0:
                    return
                self.buffer = self.buffer[end + 5 :]
                self.in_data = False
                self.transport.write(b"250 2.0.0 queued\r\n")
                continue
            end = self.buffer.find(b"\r\n")
            if end < 0:
                return
            line, self.buffer = self.buffer[:end], self.buffer[end + 2 :]
            self.command(line)
            self.transport.write(self.reply(line[:4].upper()))

    def command(self, line: bytes) -> None:
        """Every command line, before its reply: a counting sink looks at RCPT here."""

    def reply(self, verb: bytes) -> bytes:
        if verb == b"EHLO":
            return b"250-sink\r\n250-PIPELINING\r\n250 8BITMIME\r\n"
        if verb == b"DATA":
            self.in_data = True
            # A message may follow in the same packet as DATA: the loop continues with it.
            return b"354 go ahead\r\n"
        if verb == b"QUIT":
            self.transport.close()
            return b"221 bye\r\n"
        return b"250 OK\r\n"


def run_sink(port_queue: multiprocessing.Queue[int]) -> None:
    async def serve() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(SinkProtocol, "127.0.0.1", 0)
        port_queue.put(server.sockets[0].getsockname()[1])
        await server.serve_forever()

    asyncio.run(serve())


@contextmanager
def sink() -> Iterator[int]:
    """The sink in its own process; yields its port."""
    context = multiprocessing.get_context("spawn")
    ports: multiprocessing.Queue[int] = context.Queue()
    process = context.Process(target=run_sink, args=(ports,), daemon=True)
    process.start()
    try:
        yield ports.get(timeout=30)
    finally:
        process.terminate()
        process.join()
        ports.close()


# A digest of realistic size


def digest_bodies() -> tuple[str, str]:
    """About 18 KB of HTML and 5 KB of text, like a week of 12 articles and 3 questions."""
    items = [
        (f"Article {n}: how to run a better {k}", "Lorem ipsum dolor sit amet, consectetur " * 6)
        for n, k in enumerate(["tempo", "long run", "interval", "recovery", "hill", "fartlek"] * 2)
    ]
    html = ['<html><body style="font-family:Georgia,serif">']
    text = ["This week on Best Running Tips\n"]
    for title, summary in items:
        html.append(
            f'<div style="margin:16px 0;padding:8px;border-bottom:1px solid #ddd">'
            f'<h2 style="font-size:18px;color:#1d6b45">{title}</h2>'
            f'<p style="font-size:15px;line-height:1.5">{summary}</p>'
            f'<a href="https://www.example.com/articles/{len(html)}" style="color:#1d6b45">Read</a>'
            "</div>\n"
        )
        text.append(f"\n{title}\n{summary}\nhttps://www.example.com/articles/{len(text)}\n")
    html.append('<p><a href="%%UNSUBSCRIBE_URL%%">Unsubscribe</a></p></body></html>\n')
    text.append("\nUnsubscribe: %%UNSUBSCRIBE_URL%%\n")
    return "".join(text), "".join(html) * 2


def emails(count: int) -> list[str]:
    return [f"reader{n:06}@bench.example" for n in range(count)]


# The two sides


def baseline(port: int, count: int) -> dict[str, float]:
    """The same bytes ours would send, built beforehand, sent over one smtplib connection."""
    from newsletter.mail.headers import mailbox
    from newsletter.mail.message import DigestMessage, Sender

    text, html = digest_bodies()
    sender = Sender.parse(f"Bench <{SENDER}>")
    message = DigestMessage(sender, "Bench", SUBJECT, text, html, datetime.now(UTC))
    url = "https://news.bench.example/unsubscribe/WzEyMzQ1LCJyZWFkZXJAYmVuY2guZXhhbXBsZSJd.x"
    prepared = [
        (address, message.render(mailbox(None, address), f"<{n}@bench.example>", url))
        for n, address in enumerate(emails(count))
    ]
    started, cpu = time.perf_counter(), _cpu()
    with smtplib.SMTP("127.0.0.1", port) as client:
        for address, data in prepared:
            client.sendmail(SENDER, [address], data)
    seconds, cpu = time.perf_counter() - started, _cpu() - cpu
    return {"seconds": seconds, "cpu": cpu, "sent": float(count)}


def ours(port: int, count: int, workers: int) -> dict[str, float]:
    """The whole pipeline on SQLite: queue the list, then send_digest."""
    from newsletter.config import load_settings
    from newsletter.mail import SendOptions, send_digest
    from newsletter.store import open_store

    with tempfile.TemporaryDirectory() as folder:
        site = Path(folder)
        (site / "feeds.yaml").write_text(
            "site:\n  title: Bench\n  url: https://bench.example/\n"
            f"newsletter:\n  from: Bench <{SENDER}>\nfeeds: []\n"
        )
        environ = {
            "NEWSLETTER_SMTP_URL": f"smtp://127.0.0.1:{port}",
            "NEWSLETTER_SECRET_KEY": "bench-secret-key-0123456789abcdef",
        }
        settings = load_settings(site / "feeds.yaml", environ)
        store = open_store(settings.env.database_url)
        try:
            digest_id = _fill(store, count)
            started = time.perf_counter()
            store.queue_deliveries(digest_id, datetime.now(UTC))
            queued = time.perf_counter() - started
            started, cpu = time.perf_counter(), _cpu()
            report = send_digest(
                settings, store, lambda: datetime.now(UTC), SendOptions(workers=workers)
            )
            seconds, cpu = time.perf_counter() - started, _cpu() - cpu
        finally:
            store.close()
    assert report.sent == count and report.paused is None, report.summary()
    return {"seconds": seconds, "cpu": cpu, "queue_seconds": queued, "sent": float(report.sent)}


def _cpu() -> float:
    """CPU seconds of this process (every thread): unlike wall time, barely moved by what
    else the machine is doing."""
    return cpu_seconds()


def _fill(store: object, count: int) -> int:
    from sqlalchemy import insert

    from newsletter.store.models import Digest
    from newsletter.store.subscribers import NewSubscriber, SubscriberSource, SubscriberState

    now = datetime.now(UTC)
    batch: list[NewSubscriber] = []
    for address in emails(count):
        batch.append(
            NewSubscriber(address, address, None, SubscriberState.ACTIVE, SubscriberSource.IMPORT)
        )
        if len(batch) == 1000:
            store.import_changes(batch, [], now)  # type: ignore[attr-defined]
            batch = []
    store.import_changes(batch, [], now)  # type: ignore[attr-defined]
    text, html = digest_bodies()
    values = {"week": "2026-W48", "built_at": now, "period_start": now, "period_end": now}
    values |= {"subject": SUBJECT, "html": html, "text": text, "item_count": 15}
    with store.engine.begin() as connection:  # type: ignore[attr-defined]
        return int(connection.execute(insert(Digest).values(**values)).inserted_primary_key[0])


def child(mode: str, port: int, count: int, workers: int) -> None:
    result = baseline(port, count) if mode == "baseline" else ours(port, count, workers)
    result["peak_mb"] = peak_mb()
    print(json.dumps(result))


def measure(mode: str, port: int, count: int, workers: int = 1) -> dict[str, float]:
    command = [sys.executable, "-m", "bench.send", "--child", mode, "--port", str(port)]
    command += ["--messages", str(count), "--workers", str(workers)]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return dict(json.loads(output.strip().splitlines()[-1]))


def run(
    messages: int = 5000, lists: tuple[int, ...] = (10_000, 100_000), rounds: int = 3
) -> list[dict[str, object]]:
    """Baseline and ours alternate, ``rounds`` times each, and their medians are compared:
    on a shared machine, load drifts between two single runs more than the ratio does."""
    rows: list[dict[str, object]] = []
    with sink() as port:
        runs: dict[str, list[dict[str, float]]] = {"baseline": [], "1": [], "4": []}
        for _ in range(rounds):
            runs["baseline"].append(measure("baseline", port, messages))
            for workers in (1, 4):
                runs[str(workers)].append(measure("ours", port, messages, workers))
        base = median(runs["baseline"])
        for workers in (1, 4):
            mine = median(runs[str(workers)])
            rows.append(
                {
                    "figure": f"send {messages:,} digests, {workers} worker(s), SQLite",
                    "ours": mine["seconds"],
                    "baseline": base["seconds"],
                    "baseline_name": f"raw smtplib, same bytes (median of {rounds})",
                    "peak_mb": mine["peak_mb"],
                    "target": 1.0,  # issue 15: no slower than raw smtplib
                }
            )
        mine = median(runs["1"])
        rows.append(
            {
                "figure": "  the same, CPU seconds (1 worker; the load-proof figure)",
                "ours": mine["cpu"],
                "baseline": base["cpu"],
                "baseline_name": "raw smtplib's CPU seconds",
                "peak_mb": mine["peak_mb"],
                "target": None,
                "note": (
                    "send: ours pipelines MAIL/RCPT/DATA behind the previous body (1 round trip "
                    "where smtplib takes 4) "
                    "and makes one SQLite commit per 8 messages (their `sending` marks with "
                    "the previous 8 results); smtplib's loop uses less CPU, so on a busy "
                    "shared machine the wall-time ratio rises"
                ),
            }
        )
        small, large = (measure("ours", port, n, 4) for n in lists)
    for size, result in ((lists[0], small), (lists[1], large)):
        rows.append(
            {
                "figure": f"queue+send {size:,} subscribers (memory: peak MB)",
                "ours": result["seconds"] + result["queue_seconds"],
                "baseline": (small["seconds"] + small["queue_seconds"]) * size / lists[0],
                "baseline_name": f"the {lists[0]:,} run, scaled linearly",
                "peak_mb": result["peak_mb"],
                "target": None,
            }
        )
    return rows


def median(results: list[dict[str, float]]) -> dict[str, float]:
    ordered = sorted(results, key=lambda result: result["seconds"])
    return ordered[len(ordered) // 2]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--lists", default="10000,100000")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--port", type=int)
    parser.add_argument("--child", choices=["baseline", "ours"])
    args = parser.parse_args()
    if args.child:
        child(args.child, args.port, args.messages, args.workers)
        return
    from bench.table import print_table

    lists = tuple(int(n) for n in args.lists.split(","))
    print_table(run(args.messages, lists, args.rounds))


if __name__ == "__main__":
    main()
