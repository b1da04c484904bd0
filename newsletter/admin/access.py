"""Signing in to the console, and the sessions that follow.

Every failed sign-in gives the same answer after the same work: an unknown address is
checked against a dummy argon2 hash, so neither the words nor the time tell which accounts
exist. Attempts are throttled per account and address pair and per address, and slowed per
account (``throttle``); each attempt is reserved before its password is checked, so a burst
of simultaneous guesses is counted like a sequence. A session is a
random token; the browser's cookie carries it (signed by the web layer), the database only
its hash. It ends when it expires, when it is signed out, or when its account's generation
is raised (sign out everywhere, password reset, account removed).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import newsletter.admin.throttle as throttle
from newsletter.admin.accounts import (
    DUMMY_HASH,
    AccountError,
    account_key,
    password_matches,
    totp_step,
)
from newsletter.errors import NewsletterError
from newsletter.store import SqlStore
from newsletter.store.admin import AdminRecord, AdminSessionRecord

SESSION_LIFETIME = timedelta(hours=12)
ADDRESS_MAX = 64


class SignInRefused(NewsletterError):
    """The one answer to every failed sign-in (``throttled``: too many attempts)."""

    def __init__(self, throttled: bool) -> None:
        message = (
            "too many attempts: wait 15 minutes and try again"
            if throttled
            else "wrong email, password or code"
        )
        super().__init__(message)
        self.throttled = throttled


@dataclass(frozen=True)
class SignedIn:
    admin: AdminRecord
    token: str  # for the cookie only; never stored
    expires_at: datetime


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def sign_in(
    store: SqlStore,
    email: str,
    password: str,
    code: str,
    address: str,
    now: datetime,
    pause: Callable[[float], None] = time.sleep,
) -> SignedIn:
    key = _key(email)
    address = address[:ADDRESS_MAX]
    # Reserved as a failure first: a refused attempt counts too (an address that keeps
    # trying stays throttled until it stops), and a right password turns it into a success.
    attempt, failures = store.reserve_login_attempt(key, address, throttle.window_start(now), now)
    if throttle.throttled(failures):
        raise SignInRefused(throttled=True)
    if throttle.slowed(failures):
        pause(throttle.SLOW_SECONDS)
    found = store.admin(key)
    ok = password_matches(found.password_hash if found else DUMMY_HASH, password)
    if found is not None and ok and found.totp_secret:
        step = totp_step(found.totp_secret, code, now)
        ok = step is not None and store.use_totp_step(found.id, step)
    if found is None or not ok:
        raise SignInRefused(throttled=False)
    store.login_succeeded(attempt)
    token = secrets.token_urlsafe(32)
    expires = now + SESSION_LIFETIME
    store.create_admin_session(found.id, token_hash(token), now, expires)
    return SignedIn(found, token, expires)


def _key(email: str) -> str:
    # Whatever was typed, the same work follows: an invalid address is just unknown.
    try:
        return account_key(email)[1]
    except AccountError:
        return email.strip().lower()[:320]


def session_valid(found: AdminSessionRecord, now: datetime) -> bool:
    """Pure: unexpired, not signed out, and not ended by a newer generation."""
    return (
        found.revoked_at is None
        and now < found.expires_at
        and found.generation == found.admin.session_generation
    )


def current_admin(store: SqlStore, token: str, now: datetime) -> AdminRecord | None:
    """The signed-in account of this token, or None (read on every request: revoking a
    session, or every session of an account, takes effect at once)."""
    found = store.admin_session(token_hash(token))
    if found is None or not session_valid(found, now):
        return None
    return found.admin


def sign_out(store: SqlStore, token: str, now: datetime) -> None:
    store.revoke_admin_session(token_hash(token), now)


def may(role: str, area: str) -> bool:
    """A moderator sees and acts on questions (and their own account) only."""
    return role == "owner" or area in ("questions", "account")
