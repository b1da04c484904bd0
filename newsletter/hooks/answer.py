"""What a webhook answers: a status and one line of text, for the relay's logs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from newsletter.errors import NewsletterError
from newsletter.store.bounces import BounceAction, BounceReport


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


class HookStore(Protocol):
    """What the webhooks need of the store: the bounce mailbox's own function, so a report
    acts the same way whichever road it came by, and once (its key is recorded with it)."""

    def record_bounce(
        self, report: BounceReport, now: datetime, soft_limit: int
    ) -> BounceAction | None: ...


def record(
    store: HookStore, reports: list[BounceReport], now: datetime, soft_limit: int
) -> tuple[bool, str]:
    """(all seen before, one line) after acting on each report once."""
    actions = [store.record_bounce(report, now, soft_limit) for report in reports]
    done = [a.action for a in actions if a is not None]
    if not done:
        return True, "already handled; nothing changed"
    return False, "handled: " + ", ".join(done)
