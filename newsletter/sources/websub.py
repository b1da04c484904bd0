"""Tell a WebSub hub that feeds changed (https://www.w3.org/TR/websub/, "publishing").

The hub then fetches the feeds and pushes them to its subscribers, so feed readers learn
of a new article in seconds instead of at their next poll. A hub that is down costs a
short timeout and one sentence in the report; it never fails a publish.
"""

from __future__ import annotations

from collections.abc import Sequence

from newsletter import __version__
from newsletter.errors import SourceError
from newsletter.sources.once import RequestFailed, request_once

TIMEOUT = 5.0  # seconds for each ping
CONNECT_TIMEOUT = 3.0
USER_AGENT = f"newsletter/{__version__} (WebSub publisher)"


class HubPingError(SourceError):
    """The hub could not be told; the feeds are published all the same."""


def ping_hub(hub: str, topics: Sequence[str], timeout: float = TIMEOUT) -> None:
    """POST ``hub.mode=publish`` with each topic URL; raise one HubPingError on failure.

    One request per topic: hubs differ on whether they accept several ``hub.url`` at once.
    """
    failures = [problem for topic in topics if (problem := _ping(hub, topic, timeout))]
    if failures:
        more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
        raise HubPingError(f"the WebSub hub {hub} was not notified: {failures[0]}{more}")


def _ping(hub: str, topic: str, timeout: float) -> str | None:
    try:
        answer = request_once(
            "POST",
            hub,
            headers={"User-Agent": USER_AGENT},
            data={"hub.mode": "publish", "hub.url": topic},
            timeout=timeout,
            connect_timeout=min(CONNECT_TIMEOUT, timeout),
            max_bytes=4096,
        )
    except RequestFailed as exc:
        return str(exc)
    if not 200 <= answer.status < 300:
        return f"it answered {answer.status} {answer.reason} for {topic}"
    return None
