"""Fetch one feed over HTTP (or read it from disk), within every limit, never raising.

The answer is a FetchResult that says what happened, without judging it: a 410 or a
Retry-After is for ``collect/`` to act on. The HTTP client itself is in ``client.py``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from newsletter.errors import FetchError
from newsletter.sources.messages import first_line, size
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
