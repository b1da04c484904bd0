"""Per-client rate limits: an in-memory token bucket per remote address.

Each form has its own :class:`TokenBucket`: a client may post ``burst`` times at once and
then earns one more post every ``per`` seconds. Time is passed in (seconds), so tests
drive it with a clock of their own. Memory is bounded: past ``max_keys`` clients the ones
whose buckets are full again are forgotten first (forgetting a full bucket changes
nothing), then the least recently seen.

In memory means per process: run several server processes and each keeps its own count,
which is still a limit, only a looser one.
"""

from __future__ import annotations

import ipaddress
import threading
from dataclasses import dataclass

MAX_KEYS = 10_000


@dataclass(frozen=True)
class Rate:
    burst: int  # posts allowed at once
    per: float  # seconds to earn back one post


@dataclass(frozen=True)
class RateLimits:
    """The limit of each form; None: unlimited (the load benchmark). Each counts what
    costs us: sign-ups (a row, an email), questions stored, and ``links``: confirm and
    unsubscribe links whose token is not valid (guesses; a valid link never counts)."""

    subscribe: Rate | None = Rate(burst=5, per=120.0)
    questions: Rate | None = Rate(burst=3, per=600.0)
    links: Rate | None = Rate(burst=10, per=60.0)
    # POSTs to the fediverse inbox per server (by its key's host): a busy instance's
    # deliveries come in bursts of a few hundred; an abusive one is held to 5 a second.
    inbox: Rate | None = Rate(burst=300, per=0.2)


UNLIMITED = RateLimits(subscribe=None, questions=None, links=None, inbox=None)


class TokenBucket:
    def __init__(self, rate: Rate, max_keys: int = MAX_KEYS) -> None:
        self.rate = rate
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}  # key: (tokens, at), oldest first
        self._lock = threading.Lock()

    def take(self, key: str, now: float) -> float:
        """Spend one post for ``key``: 0.0 when allowed, else the seconds until one is."""
        with self._lock:
            tokens = self._tokens(key, now)
            allowed = tokens >= 1.0
            if allowed:
                tokens -= 1.0
            self._buckets.pop(key, None)  # re-inserted last: the dict stays in order of use
            self._buckets[key] = (tokens, now)
            if len(self._buckets) > self.max_keys:
                self._forget(now)
            return 0.0 if allowed else (1.0 - tokens) * self.rate.per

    def wait(self, key: str, now: float) -> float:
        """What :meth:`take` would answer, spending nothing."""
        with self._lock:
            tokens = self._tokens(key, now)
            return 0.0 if tokens >= 1.0 else (1.0 - tokens) * self.rate.per

    def __len__(self) -> int:
        return len(self._buckets)

    def _tokens(self, key: str, now: float) -> float:
        found = self._buckets.get(key)
        if found is None:
            return float(self.rate.burst)
        tokens, at = found
        earned = max(0.0, now - at) / self.rate.per
        return min(float(self.rate.burst), tokens + earned)

    def _forget(self, now: float) -> None:
        full = [key for key in self._buckets if self._tokens(key, now) >= self.rate.burst]
        for key in full:
            del self._buckets[key]
        # Down to nine tenths, so a flood of new clients costs one sweep per many posts.
        excess = len(self._buckets) - self.max_keys * 9 // 10
        for key in list(self._buckets)[: max(0, excess)]:
            del self._buckets[key]


def client_key(remote_addr: str | None) -> str:
    """Who a request comes from: its IPv4 address, or the /64 of its IPv6 address (one
    host usually has a whole /64 to pick addresses from)."""
    text = remote_addr or "unknown"
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return text
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is None:
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)
