"""What a webhook answers: a status and one line of text, for the relay's logs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from newsletter.errors import NewsletterError
from newsletter.store import SqlStore
from newsletter.store.bounces import BounceReport


class HookRefused(NewsletterError):
    """The request is refused, and nothing changed; ``status`` is the HTTP answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def json_value(data: bytes | str, what: str) -> Any:
    """The JSON in a request body, or a 400. Deep nesting ('[' x 50,000) makes json.loads
    raise RecursionError, which is as malformed as any other bad body, not a crash."""
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        raise HookRefused(400, f"the body is not {what} (JSON)") from None


@dataclass(frozen=True)
class HookAnswer:
    status: int
    text: str


def record(
    store: SqlStore, reports: list[BounceReport], now: datetime, soft_limit: int
) -> tuple[bool, str]:
    """(all seen before, one line) after acting on each report once."""
    actions = [store.record_bounce(report, now, soft_limit) for report in reports]
    done = [a.action for a in actions if a is not None]
    if not done:
        return True, "already handled; nothing changed"
    return False, "handled: " + ", ".join(done)
