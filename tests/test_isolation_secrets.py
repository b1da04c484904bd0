"""Secrets and private files (issue 11): the signing key, file modes, passwords in messages."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from newsletter.cli import cli
from newsletter.config import load_settings
from newsletter.errors import ConfigError, StoreError
from newsletter.store import SqlStore
from newsletter.store.engine import make_engine
from tests.support.send import SITE

Run = Callable[..., Result]


@pytest.fixture
def newsletter(database_url: str, store: SqlStore, tmp_path: Path) -> Run:
    """The CLI on a site with no NEWSLETTER_SECRET_KEY (db/secret.key is used) and the outbox."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "feeds.yaml").write_text(SITE.format(title="Tips"), encoding="utf-8")
    env = {
        "NEWSLETTER_DATABASE_URL": database_url,
        "NEWSLETTER_SECRET_KEY": None,
        "NEWSLETTER_OUTBOX": "outbox",
    }

    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, ["--config", str(site / "feeds.yaml"), *args], env=env)

    return run


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The loosest umask, so a 0600 file proves the code asked for it."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_key_is_generated_on_first_use_then_required_once_links_are_out(
    newsletter: Run, tmp_path: Path, open_umask: None
) -> None:
    key = tmp_path / "site" / "db" / "secret.key"
    first = newsletter("subscribers", "add", "ann@example.org")
    assert first.exit_code == 0, first.output
    assert key.exists() and mode(key) == 0o600, "generated once, private"
    emails = list((tmp_path / "site" / "outbox").glob("*.eml"))
    assert len(emails) == 1 and mode(emails[0]) == 0o600, "the .eml holds a live link"

    key.unlink()  # lost in a move, a restore without db/, …
    refused = newsletter("subscribers", "list")
    assert refused.exit_code == 1
    lines = refused.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in refused.output
    assert "secret.key is missing" in lines[0] and "restore it from a backup" in lines[0]
    assert not key.exists(), "no new key was made behind the owner's back"


def test_before_any_mail_a_missing_key_is_simply_made(newsletter: Run, tmp_path: Path) -> None:
    assert newsletter("subscribers", "add", "--confirmed", "ann@example.org").exit_code == 0
    (tmp_path / "site" / "db" / "secret.key").unlink(missing_ok=True)
    result = newsletter("subscribers", "add", "bob@example.org")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "site" / "db" / "secret.key").exists()


def test_the_embedded_database_is_private(tmp_path: Path, open_umask: None) -> None:
    database = tmp_path / "db" / "newsletter.sqlite3"
    engine = make_engine(f"sqlite:///{database}")
    with engine.connect():
        pass
    engine.dispose()
    assert mode(database) == 0o600


def test_a_short_secret_key_is_refused(tmp_path: Path) -> None:
    (tmp_path / "feeds.yaml").write_text(SITE.format(title="Tips"), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"NEWSLETTER_SECRET_KEY is too short \(1 characters"):
        load_settings(tmp_path / "feeds.yaml", {"NEWSLETTER_SECRET_KEY": "x"})
    assert load_settings(tmp_path / "feeds.yaml", {"NEWSLETTER_SECRET_KEY": "k" * 32})


@pytest.mark.parametrize(
    "url", ["user:hunter22@db.example.com/news", "postgresql+psycopg:/user:hunter22@db/news"]
)
def test_a_database_password_is_never_echoed(tmp_path: Path, url: str) -> None:
    (tmp_path / "feeds.yaml").write_text(SITE.format(title="Tips"), encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_settings(tmp_path / "feeds.yaml", {"NEWSLETTER_DATABASE_URL": url})
    assert "hunter22" not in str(refused.value) and "***" in str(refused.value)


def test_an_unparsable_database_url_hides_its_password() -> None:
    with pytest.raises(StoreError) as refused:
        make_engine("postgresql://user:hunter22@db:notaport/news")
    assert "hunter22" not in str(refused.value)
