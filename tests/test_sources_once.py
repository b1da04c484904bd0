"""The one-off requests (SNS certificates, WebSub pings) over aiohttp against a real
loopback server: a 200's body, a refusal, a body over the cap, nobody listening."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from newsletter.errors import SourceError
from newsletter.sources.sns import MAX_BYTES, fetch_sns


class Pages(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = {"/cert.pem": b"-----BEGIN CERTIFICATE-----", "/huge": b"x" * (MAX_BYTES + 10)}
        found = body.get(self.path)
        self.send_response(200 if found is not None else 404)
        self.send_header("Content-Length", str(len(found or b"")))
        self.end_headers()
        self.wfile.write(found or b"")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Pages)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def test_a_certificate_is_fetched_and_anything_else_refused(server: str) -> None:
    assert fetch_sns(server + "/cert.pem") == b"-----BEGIN CERTIFICATE-----"
    with pytest.raises(SourceError, match="answered 404"):
        fetch_sns(server + "/missing")
    with pytest.raises(SourceError, match=f"sent more than {MAX_BYTES} bytes"):
        fetch_sns(server + "/huge")


def test_nobody_listening_is_one_sentence() -> None:
    with socket.socket() as sock:  # bound, never listening: a port that is surely closed
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/cert.pem"
        with pytest.raises(SourceError) as refused:
            fetch_sns(url)
    assert str(refused.value) == f"cannot fetch {url}: cannot connect (connection refused)"
