"""Synthetic but realistic feeds for benchmarks, served from loopback by nginx (when
/usr/sbin/nginx is there) or else an aiohttp server: Python's http.server left sockets in
CLOSE-WAIT and stopped answering during a 500-feed rerun here. Both answer a conditional GET
of an unchanged feed with 304."""

from __future__ import annotations

import asyncio
import hashlib
import os
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

NGINX = Path("/usr/sbin/nginx")

PARAGRAPH = (
    "Easy runs build the aerobic base that every faster session stands on. Keep the pace "
    "conversational, breathe through your nose for the first ten minutes, and let your heart "
    "rate settle before you think about speed. <a href='/running-training/easy-pace.html'>"
    "Read more about easy pace</a>, and remember that <strong>consistency beats intensity</strong>."
)


def rss(feed: int, entries: int = 50, paragraphs: int = 5) -> bytes:
    """A 50-entry RSS 2.0 feed of about 140 KiB, like a busy blog's (with
    ``paragraphs=2``: about 1.7 KB an entry, a small feed)."""
    start = datetime(2026, 11, 1, tzinfo=UTC)
    items = []
    for i in range(entries):
        link = f"https://bench.example/{feed}/{i}.html"
        body = "".join(f"<p>{PARAGRAPH}</p><ul><li>tip {j}</li></ul>" for j in range(paragraphs))
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


def server_name() -> str:
    return "nginx" if NGINX.exists() and not os.environ.get("BENCH_NO_NGINX") else "aiohttp"


@contextmanager
def serve(
    count: int, entries: int = 50, small: bool = False, access_log: Path | None = None
) -> Iterator[list[str]]:
    """Serve ``count`` feeds on loopback; yield their URLs. With ``access_log``, the path of
    every request is written there, one a line (to count the requests of each feed)."""
    with tempfile.TemporaryDirectory(prefix="bench-feeds-") as name:
        root = Path(name) / "feed"
        root.mkdir()
        for n in range(count):
            (root / f"{n}.xml").write_bytes(rss(n, entries, 2 if small else 5))
        os.chmod(name, 0o755)  # nginx's worker may run as another user
        if server_name() == "nginx":
            with _nginx(Path(name), access_log) as port:
                yield [f"http://127.0.0.1:{port}/feed/{n}.xml" for n in range(count)]
        else:
            with _aiohttp(root, access_log) as port:
                yield [f"http://127.0.0.1:{port}/feed/{n}.xml" for n in range(count)]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for(port: int, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the feed server exited with status {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.02)  # polling a server's start-up, not synchronising a test
    raise RuntimeError(f"the feed server did not listen on port {port} within 30 s")


NGINX_CONF = """
daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
{user}
events {{ worker_connections 1024; }}
http {{
    log_format paths '$uri';
    access_log {access_log};
    client_body_temp_path {folder}/tmp;
    proxy_temp_path {folder}/tmp;
    fastcgi_temp_path {folder}/tmp;
    uwsgi_temp_path {folder}/tmp;
    scgi_temp_path {folder}/tmp;
    keepalive_requests 100000;
    types {{ application/rss+xml xml; }}
    server {{
        listen 127.0.0.1:{port};
        root {folder};
        etag on;
    }}
}}
"""


@contextmanager
def _nginx(folder: Path, access_log: Path | None = None) -> Iterator[int]:
    port = _free_port()
    (folder / "tmp").mkdir()
    user = "user root;" if os.getuid() == 0 else ""
    conf = folder / "nginx.conf"
    log = f"{access_log} paths" if access_log else "off"
    conf.write_text(NGINX_CONF.format(folder=folder, port=port, user=user, access_log=log))
    process = subprocess.Popen(
        [str(NGINX), "-p", str(folder), "-c", str(conf)], stderr=subprocess.DEVNULL
    )
    try:
        _wait_for(port, process)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


@contextmanager
def _aiohttp(root: Path, access_log: Path | None = None) -> Iterator[int]:
    from aiohttp import web

    bodies = {}
    for path in root.iterdir():
        body = path.read_bytes()
        bodies[f"/feed/{path.name}"] = (body, '"' + hashlib.sha1(body).hexdigest() + '"')

    async def feed(request: web.Request) -> web.Response:
        if access_log is not None:
            with access_log.open("a") as log:
                log.write(request.path + "\n")
        found = bodies.get(request.path)
        if found is None:
            raise web.HTTPNotFound()
        body, etag = found
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(
            body=body, content_type="application/rss+xml", charset="utf-8", headers={"ETag": etag}
        )

    port = _free_port()
    loop = asyncio.new_event_loop()
    app = web.Application()
    app.router.add_get("/feed/{name}", feed)
    runner = web.AppRunner(app, access_log=None)
    loop.run_until_complete(runner.setup())
    loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        _wait_for(port)
        yield port
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()


__all__ = ["rss", "serve", "server_name"]
