"""GETs for Amazon SNS: the certificate that signs its messages, and the SubscribeURL
that confirms a subscription. Which URLs are allowed is the caller's decision
(:mod:`newsletter.hooks.sns`); this only fetches, small and fast, or raises SourceError."""

from __future__ import annotations

from newsletter.errors import SourceError
from newsletter.sources.once import RequestFailed, request_once

TIMEOUT = 10.0  # seconds for the whole request
CONNECT_TIMEOUT = 5.0
MAX_BYTES = 64 * 1024  # a certificate is ~2 KB, a confirmation answer less
USER_AGENT = "newsletter (SNS webhook)"


def fetch_sns(url: str) -> bytes:
    """The body of a 200 answer to GET ``url``; no redirects followed."""
    try:
        answer = request_once(
            "GET",
            url,
            headers={"User-Agent": USER_AGENT},
            timeout=TIMEOUT,
            connect_timeout=CONNECT_TIMEOUT,
            max_bytes=MAX_BYTES,
        )
    except RequestFailed as exc:
        raise SourceError(f"cannot fetch {url}: {exc}") from None
    if answer.status != 200:
        raise SourceError(f"{url} answered {answer.status}")
    if len(answer.body) > MAX_BYTES:
        raise SourceError(f"{url} sent more than {MAX_BYTES} bytes")
    return answer.body
