"""Tell a WebSub hub that feeds changed (https://www.w3.org/TR/websub/, "publishing").

The hub then fetches the feeds and pushes them to its subscribers, so feed readers learn
of a new article in seconds instead of at their next poll. A hub that is down costs a
short timeout and one sentence in the report; it never fails a publish.
"""

from __future__ import annotations

from collections.abc import Sequence

import httpx

from newsletter import __version__
from newsletter.errors import SourceError

TIMEOUT = httpx.Timeout(5.0, connect=3.0)
USER_AGENT = f"newsletter/{__version__} (WebSub publisher)"


class HubPingError(SourceError):
    """The hub could not be told; the feeds are published all the same."""


def ping_hub(hub: str, topics: Sequence[str], timeout: httpx.Timeout = TIMEOUT) -> None:
    """POST ``hub.mode=publish`` with each topic URL; raise one HubPingError on failure.

    One request per topic: hubs differ on whether they accept several ``hub.url`` at once.
    """
    if not topics:
        return
    headers = {"User-Agent": USER_AGENT}
    failures: list[str] = []
    with httpx.Client(timeout=timeout, headers=headers, follow_redirects=False) as client:
        for topic in topics:
            problem = _ping(client, hub, topic)
            if problem:
                failures.append(problem)
    if failures:
        more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
        raise HubPingError(f"the WebSub hub {hub} was not notified: {failures[0]}{more}")


def _ping(client: httpx.Client, hub: str, topic: str) -> str | None:
    try:
        response = client.post(hub, data={"hub.mode": "publish", "hub.url": topic})
    except httpx.TimeoutException:
        return f"no answer within {client.timeout.read:g} s"
    except httpx.ConnectError as exc:
        return f"cannot connect ({exc})"
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        return f"{exc.__class__.__name__}: {exc}"
    if not response.is_success:
        return f"it answered {response.status_code} {response.reason_phrase} for {topic}"
    return None
