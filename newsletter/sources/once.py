"""One small HTTP request outside a collection: an SNS certificate, a WebSub ping.

With the aiohttp client the collector uses, so the project has one HTTP library. Called
from synchronous code (a web request's thread, the publish step): each call runs its own
short event loop. Never follows a redirect; reads at most ``max_bytes`` of the body.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from newsletter.errors import SourceError
from newsletter.sources.messages import first_line, os_reason

if TYPE_CHECKING:
    import aiohttp


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    reason: str
    body: bytes


class RequestFailed(SourceError):
    """No answer: ``why`` is "timeout", "connect" or "other"; the message says the rest."""

    def __init__(self, why: str, message: str) -> None:
        super().__init__(message)
        self.why = why


def request_once(
    method: str,
    url: str,
    *,
    headers: Mapping[str, str],
    timeout: float,
    connect_timeout: float,
    max_bytes: int,
    data: Mapping[str, str] | None = None,
) -> HttpAnswer:
    """The answer to one request, its body cut at ``max_bytes`` + 1 (so a caller sees that
    it was too long); RequestFailed when there is none."""
    # Imported here: publish (WebSub) and the SNS hook import this module, and a cron run
    # that pings no hub would pay aiohttp's tenth of a second for nothing.
    import aiohttp

    limits = aiohttp.ClientTimeout(total=timeout, connect=connect_timeout)
    try:
        return asyncio.run(_request(method, url, headers, limits, max_bytes, data))
    except (TimeoutError, aiohttp.ServerTimeoutError):
        raise RequestFailed("timeout", f"no answer within {timeout:g} s") from None
    except aiohttp.ClientConnectorError as exc:
        raise RequestFailed("connect", f"cannot connect ({os_reason(exc.os_error)})") from None
    except (aiohttp.ClientError, ValueError) as exc:  # ValueError: a URL aiohttp refuses
        raise RequestFailed("other", f"{type(exc).__name__}: {first_line(exc)}") from None


async def _request(
    method: str,
    url: str,
    headers: Mapping[str, str],
    limits: aiohttp.ClientTimeout,
    max_bytes: int,
    data: Mapping[str, str] | None,
) -> HttpAnswer:
    import aiohttp

    async with (
        aiohttp.ClientSession(timeout=limits, headers=dict(headers)) as session,
        session.request(method, url, data=data, allow_redirects=False) as response,
    ):
        body = bytearray()
        async for chunk in response.content.iter_chunked(16 * 1024):
            body += chunk
            if len(body) > max_bytes:
                break
        return HttpAnswer(response.status, response.reason or "", bytes(body[: max_bytes + 1]))
