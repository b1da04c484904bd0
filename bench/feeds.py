"""Synthetic but realistic feeds for benchmarks, served by a loopback HTTP server."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar
from xml.sax.saxutils import escape

PARAGRAPH = (
    "Easy runs build the aerobic base that every faster session stands on. Keep the pace "
    "conversational, breathe through your nose for the first ten minutes, and let your heart "
    "rate settle before you think about speed. <a href='/running-training/easy-pace.html'>"
    "Read more about easy pace</a>, and remember that <strong>consistency beats intensity</strong>."
)


def rss(feed: int, entries: int = 50) -> bytes:
    """A 50-entry RSS 2.0 feed of about 140 KiB, like a busy blog's."""
    start = datetime(2026, 11, 1, tzinfo=UTC)
    items = []
    for i in range(entries):
        link = f"https://bench.example/{feed}/{i}.html"
        body = "".join(f"<p>{PARAGRAPH}</p><ul><li>tip {j}</li></ul>" for j in range(5))
        items.append(
            f"<item><title>Article {i} of feed {feed}: tempo, strides &amp; hills</title>"
            f"<link>{link}</link><guid isPermaLink='true'>{link}</guid>"
            f"<pubDate>{format_datetime(start + timedelta(hours=i))}</pubDate>"
            f"<dc:creator>Coach {feed}</dc:creator>"
            f"<description>{escape(PARAGRAPH)}</description>"
            f"<content:encoded>{escape(body)}</content:encoded></item>"
        )
    return (
        "<?xml version='1.0' encoding='utf-8'?>"
        "<rss version='2.0' xmlns:content='http://purl.org/rss/1.0/modules/content/' "
        "xmlns:dc='http://purl.org/dc/elements/1.1/'><channel>"
        f"<title>Bench feed {feed}</title><link>https://bench.example/{feed}/</link>"
        f"<description>Benchmark feed</description>{''.join(items)}</channel></rss>"
    ).encode()


class Handler(BaseHTTPRequestHandler):
    bodies: ClassVar[dict[str, tuple[bytes, str]]] = {}

    def do_GET(self) -> None:
        found = self.bodies.get(self.path)
        if found is None:
            self.send_error(404)
            return
        body, etag = found
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve(count: int, entries: int = 50) -> Iterator[list[str]]:
    """Serve ``count`` feeds on loopback; yield their URLs."""
    bodies = {}
    for n in range(count):
        body = rss(n, entries)
        bodies[f"/feed/{n}.xml"] = (body, '"' + hashlib.sha1(body).hexdigest() + '"')
    handler = type("BenchHandler", (Handler,), {"bodies": bodies})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        assert isinstance(host, str)
        yield [f"http://{host}:{port}{path}" for path in bodies]
    finally:
        server.shutdown()
        server.server_close()
