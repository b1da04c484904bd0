"""A loopback server of many small feeds that counts the requests of each path and can hold
its answers (every request waits until ``release()``), for tests of several collectors.

    with counting_feeds(300) as server:
        server.urls            # one URL per feed, /feed/<n>.xml
        server.wait_for(10)    # until 10 requests arrived (bounded), not for a time
        server.release()       # answer the held requests and all later ones at once
        server.counts()        # path -> requests received
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOLD_LIMIT = 120.0  # seconds a held request waits at most: a failed test must still end


def _rss(path: str) -> bytes:
    items = "".join(
        f"<item><title>{path} item {i}</title><guid>{path}#{i}</guid>"
        f"<link>https://feeds.example{path}/{i}</link></item>"
        for i in range(3)
    )
    return (
        f"<?xml version='1.0'?><rss version='2.0'><channel><title>{path}</title>"
        f"<link>https://feeds.example{path}</link>{items}</channel></rss>"
    ).encode()


class CountingFeeds(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, feeds: int, hold: bool) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.feeds = feeds
        self._released = threading.Event()
        if not hold:
            self._released.set()
        self._counts: Counter[str] = Counter()
        self._arrived = threading.Condition()

    @property
    def urls(self) -> list[str]:
        host, port = self.server_address[:2]
        return [f"http://{host!s}:{port}/feed/{n}.xml" for n in range(self.feeds)]

    def arrive(self, path: str) -> None:
        with self._arrived:
            self._counts[path] += 1
            self._arrived.notify_all()
        self._released.wait(HOLD_LIMIT)

    def wait_for(self, requests: int, timeout: float = 120) -> None:
        """Until at least ``requests`` requests have arrived in all."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while sum(self._counts.values()) < requests:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{sum(self._counts.values())} of {requests} requests came")
                self._arrived.wait(left)

    def release(self) -> None:
        self._released.set()

    def counts(self) -> Counter[str]:
        with self._arrived:
            return Counter(self._counts)

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a collector killed mid-request leaves a broken socket: expected here


class _Handler(BaseHTTPRequestHandler):
    server: CountingFeeds

    def do_GET(self) -> None:
        self.server.arrive(self.path)
        body = _rss(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def counting_feeds(feeds: int, hold: bool = False) -> Iterator[CountingFeeds]:
    server = CountingFeeds(feeds, hold)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release()
        server.shutdown()
        server.server_close()
        thread.join()
