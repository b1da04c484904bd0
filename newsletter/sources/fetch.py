"""Fetch one feed over HTTP (or read it from disk), within every limit, never raising.

The answer is a FetchResult that says what happened, without judging it: a 410 or a
Retry-After is for ``collect/`` to act on.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import AsyncIterator, Mapping
from http import HTTPStatus
from pathlib import Path

import httpx

from newsletter.errors import FetchError
from newsletter.sources.types import FetchResult, Limits, SourceRequest
from newsletter.sources.validators import ETAG_LIMIT, LAST_MODIFIED_LIMIT, usable

_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8"
)
_PERMANENT = frozenset({301, 308})
_CHUNK = 64 * 1024


def make_client(limits: Limits) -> httpx.AsyncClient:
    """The one client for a whole collection: pooled connections, our limits, our name."""
    return httpx.AsyncClient(
        follow_redirects=False,  # see _get
        timeout=httpx.Timeout(limits.read_timeout, connect=limits.connect_timeout),
        limits=httpx.Limits(max_connections=max(limits.concurrency, 1)),
        headers={
            "User-Agent": limits.user_agent,
            "Accept": _ACCEPT,
            # Only what we can inflate ourselves under a cap (see Inflater).
            "Accept-Encoding": "gzip, deflate",
        },
    )


async def fetch(client: httpx.AsyncClient, request: SourceRequest, limits: Limits) -> FetchResult:
    """Fetch ``request`` within ``limits.deadline`` seconds, whatever the server does."""
    try:
        async with asyncio.timeout(limits.deadline):
            if request.path is not None:
                return await asyncio.to_thread(read_file, request.path, limits)
            if request.url is None:
                return FetchResult(status_code=None, error="the feed has neither a URL nor a path")
            return await _get(client, request, limits)
    except TimeoutError:
        return FetchResult(status_code=None, error=f"timed out after {limits.deadline:g} s")
    except FetchError as exc:
        return FetchResult(status_code=None, error=str(exc))
    except httpx.HTTPError as exc:
        return FetchResult(status_code=None, error=_describe_http_error(exc, limits))
    # A bad URL, here or in a redirect's Location (IDNA refusing xn--a is a UnicodeError).
    except (httpx.InvalidURL, UnicodeError, ValueError) as exc:
        return FetchResult(status_code=None, error=f"cannot make this request ({_first_line(exc)})")


def read_file(path: Path, limits: Limits) -> FetchResult:
    """A local feed file, read whole if it is not larger than the caps allow."""
    cap = min(limits.max_bytes, limits.max_decoded_bytes)
    try:
        if not path.is_file():  # a FIFO or a device could block or never end
            what = "does not exist" if not path.exists() else "is not a regular file"
            return FetchResult(status_code=None, error=f"{path} {what}")
        with path.open("rb") as file:
            body = file.read(cap + 1)
    except OSError as exc:
        return FetchResult(status_code=None, error=f"cannot read {path}: {exc.strerror or exc}")
    if len(body) > cap:
        return FetchResult(status_code=None, error=f"file larger than {_size(cap)}")
    return FetchResult(status_code=200, body=body)


async def _get(client: httpx.AsyncClient, request: SourceRequest, limits: Limits) -> FetchResult:
    assert request.url is not None
    conditional = {}
    # A validator stored before it was checked at the edge is not sent (see validators.py).
    if etag := usable(request.etag, ETAG_LIMIT):
        conditional["If-None-Match"] = etag
    if last_modified := usable(request.last_modified, LAST_MODIFIED_LIMIT):
        conditional["If-Modified-Since"] = last_modified
    hops: list[int] = []
    response = await client.send(
        client.build_request("GET", request.url, headers=conditional), stream=True
    )
    try:
        # We follow redirects ourselves: httpx, following them, reads each redirect's body
        # whole and without a cap (an endless one took 700 MB in two seconds).
        while response.next_request is not None:
            if len(hops) == limits.max_redirects:
                raise FetchError(f"too many redirects (more than {limits.max_redirects})")
            hops.append(response.status_code)
            await response.aclose()  # its body unread
            response = await client.send(response.next_request, stream=True)
        return await _answer(response, hops, limits)
    finally:
        await response.aclose()


async def _answer(response: httpx.Response, hops: list[int], limits: Limits) -> FetchResult:
    headers = {name.lower(): value for name, value in response.headers.items()}
    body = None
    error = None
    if 200 <= response.status_code < 300:
        _check_length(headers, limits)
        body = await _read_body(response.aiter_raw(_CHUNK), headers, limits)
    elif response.status_code == 304:
        await _drain_empty(response)
    else:
        error = f"HTTP {response.status_code} {_reason(response)}"
    # A new address to remember only if every hop said "permanently".
    permanent = bool(hops) and all(code in _PERMANENT for code in hops)
    return FetchResult(
        status_code=response.status_code,
        final_url=str(response.url),
        permanent_url=str(response.url) if permanent else None,
        body=body,
        headers=headers,
        etag=usable(headers.get("etag"), ETAG_LIMIT),
        last_modified=usable(headers.get("last-modified"), LAST_MODIFIED_LIMIT),
        retry_after=headers.get("retry-after"),
        error=error,
    )


async def _drain_empty(response: httpx.Response) -> None:
    """Read a 304's body, which HTTP/1.1 framing makes empty whatever the headers say.

    A response closed before its end was read closes its connection too: without this,
    every 304 of a rerun paid for a new TCP connection instead of reusing the pooled one.
    """
    async for _ in response.aiter_raw():
        raise FetchError("the server sent a body with a 304")  # never under HTTP/1.1


def _check_length(headers: Mapping[str, str], limits: Limits) -> None:
    """Refuse at once a body announced larger than the cap, before reading a byte of it."""
    try:
        length = int(headers.get("content-length", ""))
    except ValueError:
        return
    if length > limits.max_bytes:
        raise FetchError(f"response larger than {_size(limits.max_bytes)}")


async def _read_body(
    chunks: AsyncIterator[bytes], headers: Mapping[str, str], limits: Limits
) -> bytes:
    inflater = Inflater(headers.get("content-encoding", ""), limits.max_decoded_bytes)
    raw_size = 0
    async for chunk in chunks:
        raw_size += len(chunk)
        if raw_size > limits.max_bytes:
            raise FetchError(f"response larger than {_size(limits.max_bytes)}")
        inflater.feed(chunk)
    return inflater.finish()


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
            raise FetchError(f"response larger than {_size(self._cap)} once decompressed")
        if out:
            self._parts.append(out)

    def _new_decompressor(self) -> zlib._Decompress | None:
        if not self._encodings or self._encodings == ["identity"]:
            return None
        # 32 + MAX_WBITS reads either header, zlib or gzip.
        return zlib.decompressobj(32 + zlib.MAX_WBITS)


def _reason(response: httpx.Response) -> str:
    try:
        return HTTPStatus(response.status_code).phrase
    except ValueError:
        return response.reason_phrase or "(unknown status)"


def _describe_http_error(exc: httpx.HTTPError, limits: Limits) -> str:
    if isinstance(exc, httpx.ConnectTimeout):
        return f"could not connect within {limits.connect_timeout:g} s"
    if isinstance(exc, httpx.ReadTimeout):
        return f"the server sent nothing for {limits.read_timeout:g} s"
    if isinstance(exc, httpx.UnsupportedProtocol):
        return f"unsupported URL scheme ({exc})"
    if isinstance(exc, httpx.ConnectError):
        return f"could not connect ({_first_line(exc)})"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"the server broke the HTTP protocol ({_first_line(exc)})"
    return f"{type(exc).__name__}: {_first_line(exc)}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]


def _size(n: int) -> str:
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n} bytes"
