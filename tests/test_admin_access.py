"""Console accounts and sign-in on a real database: hashing, throttling, sessions, TOTP,
and the `admin` commands."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyotp
import pytest
from click.testing import CliRunner, Result

from newsletter.admin import throttle
from newsletter.admin.access import SignInRefused, current_admin, may, sign_in, sign_out
from newsletter.admin.accounts import (
    AccountError,
    add_account,
    list_accounts,
    remove_account,
    reset_account,
)
from newsletter.cli import cli
from newsletter.store import SqlStore
from newsletter.store.admin import Failures
from tests.support.clock import Clock
from tests.support.web import web_settings

PASSWORD = "correct horse battery staple"


def test_throttle_decision_is_per_pair_and_per_address_and_only_slows_per_account() -> None:
    assert not throttle.throttled(Failures(pair=9, address=19, account=500))
    assert throttle.throttled(Failures(pair=10, address=10, account=10))
    assert throttle.throttled(Failures(pair=0, address=20, account=0))
    assert throttle.slowed(Failures(pair=0, address=0, account=10))
    assert not throttle.slowed(Failures(pair=0, address=0, account=9))


def test_moderators_reach_questions_only() -> None:
    assert may("owner", "subscribers") and may("owner", "digest")
    assert may("moderator", "questions") and may("moderator", "account")
    assert not may("moderator", "subscribers") and not may("moderator", "digest")
    assert not may("moderator", "overview") and not may("moderator", "activity")


def test_accounts_are_hashed_unique_and_checked(store: SqlStore, clock: Clock) -> None:
    created = add_account(store, "Owner@Example.com", "owner", PASSWORD, clock())
    assert created.password_hash.startswith("$argon2id$")
    assert PASSWORD not in created.password_hash
    with pytest.raises(AccountError, match="has an account already"):
        add_account(store, "owner@example.com", "moderator", PASSWORD, clock())
    with pytest.raises(AccountError, match="too short"):
        add_account(store, "mod@example.com", "moderator", "short", clock())
    with pytest.raises(AccountError, match="not a valid email address"):
        add_account(store, "nobody", "moderator", PASSWORD, clock())
    assert [(a.email, a.role) for a in list_accounts(store)] == [("Owner@example.com", "owner")]


def test_sign_in_gives_one_answer_to_every_failure(store: SqlStore, clock: Clock) -> None:
    add_account(store, "owner@example.com", "owner", PASSWORD, clock())
    answers = []
    for email, password in [
        ("owner@example.com", "wrong password!"),
        ("who@example.com", PASSWORD),
    ]:
        with pytest.raises(SignInRefused) as refused:
            sign_in(store, email, password, "", "198.51.100.1", clock())
        answers.append(str(refused.value))
    assert answers == ["wrong email, password or code"] * 2
    signed = sign_in(store, "OWNER@example.com", PASSWORD, "", "198.51.100.1", clock())
    assert current_admin(store, signed.token, clock()) == signed.admin


def test_twenty_wrong_passwords_throttle_the_account_and_the_address(
    store: SqlStore, clock: Clock
) -> None:
    add_account(store, "owner@example.com", "owner", PASSWORD, clock())
    add_account(store, "mod@example.com", "moderator", PASSWORD, clock())
    refusals = []
    for _ in range(20):
        with pytest.raises(SignInRefused) as refused:
            sign_in(store, "owner@example.com", "guess" * 3, "", "198.51.100.1", clock())
        refusals.append(refused.value.throttled)
    assert refusals == [False] * 10 + [True] * 10
    # The right password no longer helps from that address...
    with pytest.raises(SignInRefused, match="too many attempts"):
        sign_in(store, "owner@example.com", PASSWORD, "", "198.51.100.1", clock())
    # ...which may not try another account either...
    with pytest.raises(SignInRefused, match="too many attempts"):
        sign_in(store, "mod@example.com", PASSWORD, "", "198.51.100.1", clock())
    # ...while the owner, elsewhere, gets in: a stranger's guesses only slow the account down.
    waits: list[float] = []
    assert sign_in(store, "owner@example.com", PASSWORD, "", "203.0.113.9", clock(), waits.append)
    assert waits == [throttle.SLOW_SECONDS]
    assert sign_in(store, "mod@example.com", PASSWORD, "", "203.0.113.9", clock())
    clock.advance(minutes=16)
    assert sign_in(store, "owner@example.com", PASSWORD, "", "198.51.100.1", clock())


def test_a_reset_lifts_the_lock(store: SqlStore, clock: Clock) -> None:
    """Issue 24, item 11: ten wrong passwords, `admin reset`, then the new password."""
    add_account(store, "owner@example.com", "owner", PASSWORD, clock())
    for _ in range(12):
        with pytest.raises(SignInRefused):
            sign_in(store, "owner@example.com", "guess" * 3, "", "198.51.100.1", clock())
    clock.advance(seconds=1)
    reset_account(store, "owner@example.com", "a brand new password", clock())
    clock.advance(seconds=1)
    waits: list[float] = []
    for address in ("198.51.100.1", "203.0.113.9"):
        signed = sign_in(
            store, "owner@example.com", "a brand new password", "", address, clock(), waits.append
        )
        assert signed.admin.email == "owner@example.com"
    assert waits == [], "failures from before the reset do not count, not even to slow down"


def test_simultaneous_guesses_are_counted_like_a_sequence(store: SqlStore, clock: Clock) -> None:
    """Issue 24, item 6: 40 wrong passwords at once had 17 evaluated (limit 10)."""
    add_account(store, "owner@example.com", "owner", PASSWORD, clock())
    now = clock()

    def guess(_: int) -> bool:
        try:
            sign_in(store, "owner@example.com", "guess" * 3, "", "198.51.100.1", now)
        except SignInRefused as refused:
            return refused.throttled
        raise AssertionError("a wrong password signed in")

    with ThreadPoolExecutor(max_workers=40) as pool:
        throttled = list(pool.map(guess, range(40)))
    assert throttled.count(False) == throttle.PAIR_FAILURES  # evaluated: exactly the limit


def test_sessions_expire_and_are_revoked_at_once(store: SqlStore, clock: Clock) -> None:
    add_account(store, "owner@example.com", "owner", PASSWORD, clock())
    first = sign_in(store, "owner@example.com", PASSWORD, "", "198.51.100.1", clock())
    second = sign_in(store, "owner@example.com", PASSWORD, "", "198.51.100.2", clock())
    sign_out(store, first.token, clock())
    assert current_admin(store, first.token, clock()) is None
    assert current_admin(store, second.token, clock()) is not None
    store.end_admin_sessions(second.admin.id)
    assert current_admin(store, second.token, clock()) is None, "sign out everywhere"
    third = sign_in(store, "owner@example.com", PASSWORD, "", "198.51.100.1", clock())
    clock.advance(hours=12)
    assert current_admin(store, third.token, clock()) is None, "expired"
    fourth = sign_in(store, "owner@example.com", PASSWORD, "", "198.51.100.1", clock())
    reset_account(store, "owner@example.com", "another long password", clock())
    assert current_admin(store, fourth.token, clock()) is None, "a reset signs out"
    fifth = sign_in(store, "owner@example.com", "another long password", "", "x", clock())
    remove_account(store, "owner@example.com")
    assert current_admin(store, fifth.token, clock()) is None
    assert current_admin(store, "made-up", clock()) is None


def test_totp_is_asked_once_enrolled(store: SqlStore, clock: Clock) -> None:
    account = add_account(store, "owner@example.com", "owner", PASSWORD, clock())
    secret = pyotp.random_base32()
    store.set_admin_totp(account.id, secret)
    with pytest.raises(SignInRefused, match="wrong email, password or code"):
        sign_in(store, "owner@example.com", PASSWORD, "000000", "x", clock())
    code = pyotp.TOTP(secret).at(clock() - timedelta(seconds=30))
    assert sign_in(store, "owner@example.com", PASSWORD, code, "x", clock())
    with pytest.raises(SignInRefused, match="wrong email, password or code"):
        sign_in(store, "owner@example.com", PASSWORD, code, "x", clock())  # used once already
    clock.advance(seconds=30)
    later = pyotp.TOTP(secret).at(clock())
    assert sign_in(store, "owner@example.com", PASSWORD, later, "x", clock())


@pytest.fixture
def config(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("NEWSLETTER_DATABASE_URL", database_url)
    return web_settings(tmp_path / "site").config_path


def newsletter(config: Path, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), *args], input=input)


def test_admin_commands(config: Path, store: SqlStore) -> None:
    added = newsletter(config, "admin", "add", "owner@example.com", "--password-stdin",
                       input=PASSWORD + "\n")  # fmt: skip
    assert added.exit_code == 0, added.output
    assert added.output == "owner@example.com can sign in at /admin/ as owner\n"
    moderator = newsletter(config, "admin", "add", "mod@example.com", "--role", "moderator",
                           "--password-stdin", input=PASSWORD + "\n")  # fmt: skip
    assert moderator.exit_code == 0, moderator.output
    listed = newsletter(config, "admin", "list")
    assert listed.output.splitlines()[0].startswith("owner@example.com  owner  password only")
    assert listed.output.splitlines()[-1] == "2 account(s)"
    again = newsletter(config, "admin", "add", "owner@example.com", "--password-stdin",
                       input=PASSWORD + "\n")  # fmt: skip
    assert again.exit_code == 2
    assert "has an account already" in again.output and "Traceback" not in again.output
    short = newsletter(config, "admin", "reset", "owner@example.com", "--password-stdin",
                       input="short\n")  # fmt: skip
    assert short.exit_code == 2 and "too short" in short.output
    no_tty = newsletter(config, "admin", "add", "x@example.com", input=PASSWORD + "\n")
    assert no_tty.exit_code == 2 and "--password-stdin" in no_tty.output
    reset = newsletter(config, "admin", "reset", "owner@example.com", "--password-stdin",
                       input="a new long password\n")  # fmt: skip
    assert reset.exit_code == 0, reset.output
    assert sign_in(store, "owner@example.com", "a new long password", "", "x", store_now())
    removed = newsletter(config, "admin", "remove", "mod@example.com")
    assert removed.exit_code == 0 and removed.output == "mod@example.com removed\n"
    gone = newsletter(config, "admin", "remove", "mod@example.com")
    assert gone.exit_code == 2 and "has no account" in gone.output


def store_now() -> datetime:
    return datetime.now(UTC)
