"""Console accounts: created, listed, reset and removed from the CLI only.

There is no default account and no default password. Passwords are hashed with argon2id
(argon2-cffi's defaults, RFC 9106's second recommended option); a reset ends every session
of the account. A moderator sees and acts on questions only.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from newsletter.errors import BadInput
from newsletter.store import SqlStore
from newsletter.store.admin import AdminRecord
from newsletter.subscribers import InvalidAddress, normalize_address

Role = Literal["owner", "moderator"]
MIN_PASSWORD = 12
MAX_PASSWORD = 1024  # argon2 takes any length; a megabyte would only cost CPU
TOTP_ISSUER = "newsletter console"

_hasher = PasswordHasher()


class AccountError(BadInput):
    """An account command that cannot be done as asked (bad input: exit status 2)."""


@dataclass(frozen=True)
class AccountLine:
    email: str
    role: str
    two_factor: bool
    created_at: datetime


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# Verified when the account does not exist, so an unknown address costs the same time as a
# wrong password and the answer says nothing about which accounts exist.
DUMMY_HASH = hash_password("no account has this password: it only spends the same time")


def check_password(password: str) -> str:
    """The password, or AccountError saying what is wrong with it."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password is too short: at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"the password is too long: at most {MAX_PASSWORD} characters")
    return password


def account_key(email: str) -> tuple[str, str]:
    """(the address as kept, its case-insensitive key), or AccountError."""
    try:
        address = normalize_address(email.strip())
    except InvalidAddress as exc:
        raise AccountError(str(exc)) from None
    return address.email, address.key


def add_account(
    store: SqlStore, email: str, role: Role, password: str, now: datetime
) -> AdminRecord:
    shown, key = account_key(email)
    created = store.create_admin(shown, key, role, hash_password(check_password(password)), now)
    if created is None:
        raise AccountError(f"{shown} has an account already; `admin reset` sets a new password")
    return created


def reset_account(store: SqlStore, email: str, password: str, now: datetime) -> str:
    shown, key = account_key(email)
    if not store.set_admin_password(key, hash_password(check_password(password)), now):
        raise AccountError(f"{shown} has no account; see `admin list`")
    return shown


def remove_account(store: SqlStore, email: str) -> str:
    shown, key = account_key(email)
    if not store.delete_admin(key):
        raise AccountError(f"{shown} has no account; see `admin list`")
    return shown


def list_accounts(store: SqlStore) -> list[AccountLine]:
    return [
        AccountLine(a.email, a.role, a.totp_secret is not None, a.created_at)
        for a in store.admins()
    ]


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, email: str) -> str:
    """The otpauth:// URI an authenticator app takes (typed in, or pasted)."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=TOTP_ISSUER)


def totp_step(secret: str, code: str, now: datetime) -> int | None:
    """The 30-second step whose code this is: now's, or one either side (clocks drift);
    None when it is none of them."""
    digits = "".join(code.split())
    if not digits.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // totp.interval
    for step in (current, current - 1, current + 1):
        if hmac.compare_digest(totp.at(step * totp.interval), digits):
            return step
    return None
