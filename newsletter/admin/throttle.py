"""When sign-in attempts are throttled: a pure decision over recent failures.

Per account, so a password cannot be guessed from many addresses; per address, so one
client cannot try many accounts. Failures older than the window are forgotten, so the
throttle lifts by itself (and an owner locked out by someone else can wait it out or use
`newsletter admin reset`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

WINDOW = timedelta(minutes=15)
ACCOUNT_FAILURES = 10  # wrong passwords for one account within the window
ADDRESS_FAILURES = 20  # wrong passwords from one address within the window


@dataclass(frozen=True)
class Limits:
    window: timedelta = WINDOW
    account: int = ACCOUNT_FAILURES
    address: int = ADDRESS_FAILURES


def window_start(now: datetime, limits: Limits = Limits()) -> datetime:
    return now - limits.window


def throttled(account_failures: int, address_failures: int, limits: Limits = Limits()) -> bool:
    """True: refuse this attempt without even checking the password."""
    return account_failures >= limits.account or address_failures >= limits.address
