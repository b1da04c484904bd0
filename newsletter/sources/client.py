"""The HTTP side of fetching: one aiohttp session per collection, under every limit.

aiohttp, not httpx: an unchanged rerun is 500 conditional GETs, and httpx's connection pool
spent ten times the CPU of aiohttp's on each (bench/collect.py). Imported only when a feed
has a URL: a site of local feed files never loads it.
"""

from __future__ import annotations

import os
import ssl
import zlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from urllib.request import getproxies_environment, proxy_bypass

import aiohttp
import idna
from aiohttp.helpers import ProxyInfo, proxies_from_env
from yarl import URL

from newsletter.errors import ConfigError, FetchError
from newsletter.sources.messages import first_line, os_reason, size
from newsletter.sources.types import FetchResult, Limits, SourceRequest
from newsletter.sources.validators import ETAG_LIMIT, LAST_MODIFIED_LIMIT, usable

_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8"
)
_PERMANENT = frozenset({301, 308})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 64 * 1024
# aiohttp's default (8190 bytes) is below what h11 let through before (16 KiB of headers);
# with at most _MAX_HEADERS of them, a response's head still costs at most 2 MiB.
_MAX_FIELD = 16 * 1024
_MAX_HEADERS = 128


@dataclass(frozen=True)
class Client:
    """One collection's session, and the proxies the environment names, read once."""

    session: aiohttp.ClientSession
    proxies: Mapping[str, ProxyInfo]

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.session.close()


def make_client(limits: Limits) -> Client:
    """The one client for a whole collection: pooled keep-alive connections, our limits,
    our name. Called on the running loop."""
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=max(limits.concurrency, 1), ssl=_tls_context()),
        timeout=aiohttp.ClientTimeout(
            total=None, sock_connect=limits.connect_timeout, sock_read=limits.read_timeout
        ),
        headers={
            "User-Agent": limits.user_agent,
            "Accept": _ACCEPT,
            # Only what we can inflate ourselves under a cap (see Inflater).
            "Accept-Encoding": "gzip, deflate",
        },
        auto_decompress=False,  # see Inflater
        # Not trust_env: it reads ~/.netrc and the proxy variables in a thread for every
        # request (two thread hand-offs per 304); Client reads the variables once, as httpx.
        trust_env=False,
        max_line_size=_MAX_FIELD,
        max_field_size=_MAX_FIELD,
        max_headers=_MAX_HEADERS,
        # Feeds need no cookies, and a hostile server must not grow a jar for the others.
        cookie_jar=aiohttp.DummyCookieJar(),
    )
    return Client(session, _env_proxies())


def _env_proxies() -> dict[str, ProxyInfo]:
    """HTTP_PROXY and HTTPS_PROXY, else ALL_PROXY, as httpx read them (aiohttp's own
    reading leaves ALL_PROXY out)."""
    found = dict(proxies_from_env())
    if fallback := getproxies_environment().get("all"):
        for scheme in ("http", "https"):
            found.setdefault(scheme, ProxyInfo(URL(fallback), None))
    return found


def _tls_context() -> ssl.SSLContext:
    """The certificates httpx trusted: SSL_CERT_FILE or SSL_CERT_DIR, else certifi's."""
    named = [(name, os.environ.get(name)) for name in ("SSL_CERT_FILE", "SSL_CERT_DIR")]
    try:
        if cafile := named[0][1]:
            return ssl.create_default_context(cafile=cafile)
        if capath := named[1][1]:
            return ssl.create_default_context(capath=capath)
    except (OSError, ssl.SSLError) as exc:
        name, value = next((n, v) for n, v in named if v)
        # One sentence for the whole collect, not a traceback from the fetching thread.
        raise ConfigError(
            f"{name}={value} gives no certificates to check feeds' TLS with: {exc}"
        ) from None
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


async def get(client: Client, request: SourceRequest, limits: Limits) -> FetchResult:
    """GET ``request.url`` within every limit but the deadline (``fetch`` holds that one)."""
    try:
        return await _get(client, request, limits)
    # Here, not in fetch: aiohttp's own timeouts (connect, read) are TimeoutErrors too, and
    # fetch reads a TimeoutError as its deadline.
    except aiohttp.ClientError as exc:
        return FetchResult(status_code=None, error=_describe_http_error(exc, limits))


async def _get(client: Client, request: SourceRequest, limits: Limits) -> FetchResult:
    assert request.url is not None
    conditional = {}
    # A validator stored before it was checked at the edge is not sent (see validators.py).
    if etag := usable(request.etag, ETAG_LIMIT):
        conditional["If-None-Match"] = etag
    if last_modified := usable(request.last_modified, LAST_MODIFIED_LIMIT):
        conditional["If-Modified-Since"] = last_modified
    url = URL(request.url)
    hops: list[int] = []
    while True:
        # We follow redirects ourselves, so each hop is under our limits; a redirect's body
        # is never read (one can be endless): leaving the block closes its connection.
        _check_host(url)
        proxy, proxy_auth = _proxy(client.proxies, url)
        async with client.session.get(
            url, headers=conditional, allow_redirects=False, proxy=proxy, proxy_auth=proxy_auth
        ) as response:
            location = response.headers.get("Location")
            if response.status not in _REDIRECTS or location is None:
                return await _answer(response, hops, limits)
            if len(hops) == limits.max_redirects:
                raise FetchError(f"too many redirects (more than {limits.max_redirects})")
            hops.append(response.status)
            url = response.url.join(URL(location))


def _check_host(url: URL) -> None:
    """Refuse an ACE name that IDNA cannot decode (xn--a), before any resolver sees it, as
    httpx did: such a name never resolves. Raises ``idna.IDNAError``, a UnicodeError."""
    host = url.raw_host or ""
    if "xn--" in host.lower():
        idna.encode(host)


def _proxy(
    proxies: Mapping[str, ProxyInfo], url: URL
) -> tuple[URL | None, aiohttp.BasicAuth | None]:
    """The proxy that HTTP_PROXY or HTTPS_PROXY names for ``url`` unless NO_PROXY says no."""
    found = proxies.get(url.scheme)
    if found is None or (url.host is not None and proxy_bypass(url.host)):
        return None, None
    return found.proxy, found.proxy_auth


async def _answer(response: aiohttp.ClientResponse, hops: list[int], limits: Limits) -> FetchResult:
    headers = _headers(response)
    body = None
    error = None
    if 200 <= response.status < 300:
        _check_length(headers, limits)
        body = await _read_body(response.content.iter_chunked(_CHUNK), headers, limits)
    elif response.status != 304:  # a 304 has no body: its connection goes back to the pool
        error = f"HTTP {response.status} {_reason(response)}"
    # A new address to remember only if every hop said "permanently".
    permanent = bool(hops) and all(code in _PERMANENT for code in hops)
    return FetchResult(
        status_code=response.status,
        final_url=str(response.url),
        permanent_url=str(response.url) if permanent else None,
        body=body,
        headers=headers,
        etag=usable(headers.get("etag"), ETAG_LIMIT),
        last_modified=usable(headers.get("last-modified"), LAST_MODIFIED_LIMIT),
        retry_after=headers.get("retry-after"),
        error=error,
    )


def _headers(response: aiohttp.ClientResponse) -> dict[str, str]:
    """Lower-cased names; a repeated header's values joined by commas (as httpx did)."""
    headers: dict[str, str] = {}
    for name, value in response.headers.items():
        key = name.lower()
        # Bytes that are not UTF-8 arrive as surrogates, which nothing downstream can encode.
        value = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return headers


def _check_length(headers: Mapping[str, str], limits: Limits) -> None:
    """Refuse at once a body announced larger than the cap, before reading a byte of it."""
    try:
        length = int(headers.get("content-length", ""))
    except ValueError:
        return
    if length > limits.max_bytes:
        raise FetchError(f"response larger than {size(limits.max_bytes)}")


async def _read_body(
    chunks: AsyncIterator[bytes], headers: Mapping[str, str], limits: Limits
) -> bytes:
    inflater = Inflater(headers.get("content-encoding", ""), limits.max_decoded_bytes)
    raw_size = 0
    async for chunk in chunks:
        raw_size += len(chunk)
        if raw_size > limits.max_bytes:
            raise FetchError(f"response larger than {size(limits.max_bytes)}")
        inflater.feed(chunk)
    return inflater.finish()


def _reason(response: aiohttp.ClientResponse) -> str:
    try:
        return HTTPStatus(response.status).phrase
    except ValueError:
        return response.reason or "(unknown status)"


def _describe_http_error(exc: aiohttp.ClientError, limits: Limits) -> str:
    # Most specific first: aiohttp's classes nest (a DNS error is a connector error).
    match exc:
        case aiohttp.ConnectionTimeoutError():
            return f"could not connect within {limits.connect_timeout:g} s"
        case aiohttp.ServerTimeoutError():
            return f"the server sent nothing for {limits.read_timeout:g} s"
        case aiohttp.NonHttpUrlClientError():
            return f"unsupported URL scheme ({exc})"
        case aiohttp.InvalidURL():
            return f"cannot make this request ({first_line(exc)})"
        case aiohttp.ClientConnectorDNSError():
            return f"cannot find the host {exc.host} (DNS: {os_reason(exc.os_error)})"
        case aiohttp.ClientConnectorError():
            # Not aiohttp's own text ("… ssl:default [Connect call failed …]", even for
            # http://).
            return f"could not connect to {exc.host}:{exc.port} ({os_reason(exc.os_error)})"
        case (
            aiohttp.ServerDisconnectedError()
            | aiohttp.ClientPayloadError()
            | aiohttp.ClientResponseError()  # an unreadable status line or header
        ):
            return f"the server broke the HTTP protocol ({first_line(exc)})"
    return f"{type(exc).__name__}: {first_line(exc)}"


class Inflater:
    """Decompress gzip/deflate as it arrives, never producing more than ``cap`` bytes.

    ``max_length`` makes zlib stop before the cap instead of after: a 1 MB gzip that inflates
    to 1 GB costs at most ``cap`` bytes of memory.
    """

    def __init__(self, content_encoding: str, cap: int) -> None:
        self._encodings = [e.strip().lower() for e in content_encoding.split(",") if e.strip()]
        unknown = set(self._encodings) - {"gzip", "x-gzip", "deflate", "identity"}
        if unknown or len(self._encodings) > 1:
            raise FetchError(f"unsupported content encoding {content_encoding!r}")
        self._cap = cap
        self._parts: list[bytes] = []
        self._size = 0
        self._started = False
        self._zlib = self._new_decompressor()

    def feed(self, data: bytes) -> None:
        while data:
            if self._zlib is None:
                self._keep(data)
                return
            data = self._inflate(self._zlib, data)

    def _inflate(self, decompressor: zlib._Decompress, data: bytes) -> bytes:
        """Inflate as much of ``data`` as the cap allows; return what is left to inflate."""
        try:
            out = decompressor.decompress(data, self._cap - self._size + 1)
        except zlib.error as exc:
            if self._started or self._encodings != ["deflate"]:
                raise FetchError(f"the compressed response is corrupt ({exc})") from None
            # Many servers send raw deflate, without the zlib header, as "deflate".
            self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
            self._started = True
            return data
        self._started = True
        self._keep(out)
        if decompressor.eof:  # gzip allows several members back to back
            self._zlib = self._new_decompressor()
            return decompressor.unused_data
        return decompressor.unconsumed_tail

    def finish(self) -> bytes:
        if self._zlib is not None:
            self._keep(self._zlib.flush())
        return b"".join(self._parts)

    def _keep(self, out: bytes) -> None:
        self._size += len(out)
        if self._size > self._cap:
            raise FetchError(f"response larger than {size(self._cap)} once decompressed")
        if out:
            self._parts.append(out)

    def _new_decompressor(self) -> zlib._Decompress | None:
        if not self._encodings or self._encodings == ["identity"]:
            return None
        # 32 + MAX_WBITS reads either header, zlib or gzip.
        return zlib.decompressobj(32 + zlib.MAX_WBITS)
