"""GETs for Amazon SNS: the certificate that signs its messages, and the SubscribeURL
that confirms a subscription. Which URLs are allowed is the caller's decision
(:mod:`newsletter.hooks.sns`); this only fetches, small and fast, or raises SourceError."""

from __future__ import annotations

import httpx

from newsletter.errors import SourceError

TIMEOUT = httpx.Timeout(10.0, connect=5.0)
MAX_BYTES = 64 * 1024  # a certificate is ~2 KB, a confirmation answer less
USER_AGENT = "newsletter (SNS webhook)"


def fetch_sns(url: str) -> bytes:
    """The body of a 200 answer to GET ``url``; no redirects followed."""
    headers = {"User-Agent": USER_AGENT}
    try:
        with (
            httpx.Client(timeout=TIMEOUT, headers=headers, follow_redirects=False) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code != 200:
                raise SourceError(f"{url} answered {response.status_code}")
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_BYTES:
                    raise SourceError(f"{url} sent more than {MAX_BYTES} bytes")
            return body
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise SourceError(f"cannot fetch {url}: {exc}") from None
