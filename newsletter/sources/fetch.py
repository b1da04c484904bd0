"""Fetch one feed over HTTP (or read it from disk), within every limit, never raising.

The answer is a FetchResult that says what happened, without judging it: a 410 or a
Retry-After is for ``collect/`` to act on. The HTTP client itself is in ``client.py``.
"""

from __future__ import annotations

import asyncio
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

from newsletter.errors import FetchError
from newsletter.sources.types import FetchResult, Limits, SourceRequest

if TYPE_CHECKING:
    from newsletter.sources.client import Client


async def fetch(client: Client | None, request: SourceRequest, limits: Limits) -> FetchResult:
    """Fetch ``request`` within ``limits.deadline`` seconds, whatever the server does.

    ``client`` is None when no feed of the collection has a URL."""
    try:
        async with asyncio.timeout(limits.deadline):
            if request.path is not None:
                return await asyncio.to_thread(read_file, request.path, limits)
            if request.url is None or client is None:
                return FetchResult(status_code=None, error="the feed has neither a URL nor a path")
            from newsletter.sources.client import get

            return await get(client, request, limits)
    except TimeoutError:
        return FetchResult(status_code=None, error=f"timed out after {limits.deadline:g} s")
    except FetchError as exc:
        return FetchResult(status_code=None, error=str(exc))
    # A bad URL, here or in a redirect's Location (IDNA refusing xn--a is a UnicodeError).
    except (UnicodeError, ValueError) as exc:
        return FetchResult(status_code=None, error=f"cannot make this request ({first_line(exc)})")


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
        return FetchResult(status_code=None, error=f"file larger than {size(cap)}")
    return FetchResult(status_code=200, body=body)


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


def first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]


def size(n: int) -> str:
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n} bytes"
