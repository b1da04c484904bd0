"""When sign-in attempts are throttled: pure decisions over recent failures.

Per account and address pair, so one client cannot guess a password for long; per address,
so one client cannot try many accounts. The per-account count (every address together) only
slows each attempt down, never refuses one: otherwise anyone who knows the owner's address
could keep the owner out with a wrong guess now and then. Failures older than the window, or
from before the account's password last changed (``newsletter admin reset``), do not count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from newsletter.store.admin import Failures

WINDOW = timedelta(minutes=15)
PAIR_FAILURES = 10  # wrong passwords for one account from one address within the window
ADDRESS_FAILURES = 20  # wrong passwords from one address within the window
ACCOUNT_FAILURES = 10  # wrong passwords for one account, from anywhere: from here on, slow down
SLOW_SECONDS = 1.0  # the wait before checking a password for an account under attack


@dataclass(frozen=True)
class ThrottleLimits:
    window: timedelta = WINDOW
    pair: int = PAIR_FAILURES
    address: int = ADDRESS_FAILURES
    account: int = ACCOUNT_FAILURES


def window_start(now: datetime, limits: ThrottleLimits = ThrottleLimits()) -> datetime:
    return now - limits.window


def throttled(failures: Failures, limits: ThrottleLimits = ThrottleLimits()) -> bool:
    """True: refuse this attempt without even checking the password."""
    return failures.pair >= limits.pair or failures.address >= limits.address


def slowed(failures: Failures, limits: ThrottleLimits = ThrottleLimits()) -> bool:
    """True: wait SLOW_SECONDS before checking the password (never a refusal)."""
    return failures.account >= limits.account
