"""Shared fixtures: a real SQLite file and the real local PostgreSQL, side by side.

Every test that takes ``store`` (or ``database_url``) runs twice: on a fresh SQLite file
and on a fresh schema of the local PostgreSQL. The PostgreSQL run skips, saying why, only
when the server is unreachable; CI has one. Point NEWSLETTER_TEST_POSTGRES_URL elsewhere
to use another server.
"""

from __future__ import annotations

import os
import shutil
import textwrap
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, create_engine, text

from newsletter.admin import access, accounts
from newsletter.config import Settings
from newsletter.store import SqlStore
from newsletter.store.engine import make_engine, upgrade
from tests.support.clock import Clock
from tests.support.dovecot import Dovecot, dovecot_missing, running_dovecot
from tests.support.postfix import MailServer, mail_server_missing, running_mail_server
from tests.support.send import Recorder, recording_smtp
from tests.support.web import web_settings

QUICK_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
QUICK_DUMMY_HASH = QUICK_HASHER.hash("no account has this password")

POSTGRES_URL = os.environ.get(
    "NEWSLETTER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@cache
def postgres_unreachable() -> str | None:
    try:
        engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 10})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        return f"PostgreSQL at {POSTGRES_URL} is unreachable: {exc.__class__.__name__}"
    return None


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[Engine]:
    """One connection pool for creating and dropping the tests' schemas."""
    admin = create_engine(POSTGRES_URL)
    yield admin
    admin.dispose()


# The PostgreSQL half is in the slow tier: a schema per test costs a server round trip or
# five, so `make test-fast` runs each store test once, on SQLite; `make test` runs both.
@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.sqlite3'}"
        return
    reason = postgres_unreachable()
    if reason:
        pytest.skip(reason)
    admin: Engine = request.getfixturevalue("postgres_admin")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        # A throwaway schema need not wait for the disk at each commit (the migrations
        # commit often); what a transaction sees is the same.
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}%20-csynchronous_commit%3Doff"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))


@pytest.fixture
def engines() -> Iterator[Callable[[str], Engine]]:
    """make_engine for a test's extra connections, every engine disposed however it ends.

    An engine left to the garbage collector closes its pool late, and its ResourceWarning
    then fails whichever test happens to be running.
    """
    made: list[Engine] = []

    def make(url: str) -> Engine:
        made.append(make_engine(url))
        return made[-1]

    yield make
    for engine in made:
        engine.dispose()


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file the migrations brought to the head, once per test process."""
    path = tmp_path_factory.mktemp("head") / "head.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    return path


@pytest.fixture
def store(database_url: str, request: pytest.FixtureRequest) -> Iterator[SqlStore]:
    """A fresh database at the current schema. On SQLite, a copy of the file the
    migrations made once (the same file: migrating it again took most of a store test's
    time); on PostgreSQL the test's own schema, migrated."""
    sqlite_file = database_url.removeprefix("sqlite:///")
    if sqlite_file != database_url:
        shutil.copyfile(request.getfixturevalue("migrated_sqlite"), sqlite_file)
    engine = make_engine(database_url)
    if sqlite_file == database_url:
        upgrade(engine)
    store = SqlStore(engine)
    yield store
    store.close()


@pytest.fixture(autouse=True)
def quick_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Console accounts hashed with argon2id at its lowest cost. The product's cost
    (argon2-cffi's defaults: a quarter of a CPU second each time a password is checked) is
    a parameter of each hash, read back from it when checking; the tests sign in and fail
    to sign in hundreds of times, and took a third of the fast tier's time doing it."""
    monkeypatch.setattr(accounts, "_hasher", QUICK_HASHER)
    monkeypatch.setattr(access, "DUMMY_HASH", QUICK_DUMMY_HASH)


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))


SITE_HEAD = """\
site:
  title: Best Running Tips
  url: https://www.example.com/
newsletter:
  from: Best Running Tips <news@example.com>
"""


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """A site folder for the web tests (publishing tests override it with theirs)."""
    return web_settings(tmp_path / "site")


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[[str], Path]:
    """Write a feeds.yaml into a fresh site folder; the text is dedented."""

    def write(body: str, head: str = SITE_HEAD) -> Path:
        path = tmp_path / "feeds.yaml"
        path.write_text(head + textwrap.dedent(body), encoding="utf-8")
        return path

    return write


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium per test module (see tests/support/browser.py)."""
    from tests.support.browser import ARGS, CHROMIUM

    if not CHROMIUM.exists():
        pytest.skip(f"no {CHROMIUM} (apt-get install chromium; CI installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def smtp(request: pytest.FixtureRequest) -> Iterator[tuple[Recorder, str]]:
    """A recording SMTP server on loopback and its NEWSLETTER_SMTP_URL.

    It offers PIPELINING unless a module parametrizes it (``indirect``) with False.
    """
    with recording_smtp(pipelining=getattr(request, "param", True)) as server:
        yield server


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    """A fresh Dovecot on loopback for one test: IMAPS and IMAP+STARTTLS, one user (the
    bounce mailbox; see tests/support/dovecot.py)."""
    reason = dovecot_missing()
    if reason:
        pytest.skip(reason)
    with running_dovecot() as server:
        yield server


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    """A fresh Postfix on loopback relaying readers.test over LMTP to a fresh Dovecot that
    keeps every address's mail for IMAP (see tests/support/postfix.py)."""
    reason = mail_server_missing()
    if reason:
        pytest.skip(reason)
    with running_mail_server() as server:
        yield server
