"""The questions commands, end to end on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from newsletter.cli import cli
from newsletter.store import SqlStore
from newsletter.store.engine import make_engine, upgrade
from tests.support.web import web_settings

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.fixture
def config(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    settings = web_settings(tmp_path / "site")
    monkeypatch.setenv("NEWSLETTER_DATABASE_URL", database_url)
    monkeypatch.setattr("newsletter.cli.questions.utcnow", lambda: NOW)
    return settings.config_path


@pytest.fixture
def store(config: Path, database_url: str) -> Iterator[SqlStore]:
    """The database the commands use, at the current schema (PostgreSQL is never migrated
    on the fly)."""
    engine = make_engine(database_url)
    upgrade(engine)
    store = SqlStore(engine)
    yield store
    store.close()


def newsletter(config: Path, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), *args], input=input)


def test_add_with_options_then_list_and_approve(config: Path, store: SqlStore) -> None:
    added = newsletter(
        config, "questions", "add", "--title", "Shin splints?", "--body", "They hurt.",
        "--name", "Ann", "--email", "ann@example.com",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert added.output == "question 1 added, pending: Shin splints?\n"

    listed = newsletter(config, "questions", "list", "--pending")
    assert listed.exit_code == 0
    assert listed.output.splitlines() == [
        "    1  pending   2026-11-25 09:00  Shin splints?",
        "       Ann <ann@example.com>",
        "       They hurt.",
        "1 pending, 0 approved, 0 rejected",
    ]

    approved = newsletter(config, "questions", "approve", "1")
    assert approved.exit_code == 0
    assert approved.output.startswith("question 1 approved: it is in the feeds")
    assert newsletter(config, "questions", "list", "--pending").output == (
        "0 pending, 1 approved, 0 rejected\n"
    )
    assert newsletter(config, "questions", "approve", "1").output == (
        "question 1 was already approved\n"
    )
    [question] = store.questions(None, 5)
    assert question.status == "approved"


def test_add_approved(config: Path, store: SqlStore) -> None:
    added = newsletter(config, "questions", "add", "--title", "T", "--body", "B", "--name", "",
                       "--email", "", "--approved")  # fmt: skip
    assert added.output == "question 1 added, approved: T\n"


def test_a_bad_question_is_one_line_and_exit_2(config: Path, store: SqlStore) -> None:
    refused = newsletter(config, "questions", "add", "--title", " ", "--body", "B", "--name",
                         "", "--email", "nope")  # fmt: skip
    assert refused.exit_code == 2
    assert refused.output.startswith("newsletter: the question was not added: write a title; ")
    assert len(refused.output.splitlines()) == 1


def test_reject_and_unknown_ids(config: Path, store: SqlStore) -> None:
    newsletter(config, "questions", "add", "--title", "T", "--body", "B", "--name", "",
               "--email", "")  # fmt: skip
    rejected = newsletter(config, "questions", "reject", "1")
    assert rejected.output == "question 1 rejected: it is in no feed and no digest\n"
    unknown = newsletter(config, "questions", "approve", "42")
    assert unknown.exit_code == 2
    assert unknown.output == "newsletter: there is no question 42; see `questions list`\n"


def test_list_never_prints_what_would_drive_the_terminal(config: Path, store: SqlStore) -> None:
    from newsletter.store.entries import EntryStatus
    from newsletter.store.questions import NewQuestion

    # As if written by another tool, bypassing the checks: list cleans it again.
    store.add_question(
        NewQuestion("question:x", "Evil\x1b]0;pwned\x07 title", "<p>Body\x1b[2J</p>", "h",
                    "Mal\x1b[31mlory", None),
        EntryStatus.PENDING, NOW,
    )  # fmt: skip
    listed = newsletter(config, "questions", "list")
    assert "\x1b" not in listed.output and "\x07" not in listed.output
    assert "Evil]0;pwned title" in listed.output


def test_without_a_terminal_add_never_prompts(config: Path, store: SqlStore) -> None:
    """`questions add --title x --body y </dev/null`, as a script runs it."""
    added = newsletter(config, "questions", "add", "--title", "x", "--body", "y", input="")
    assert (added.exit_code, added.output) == (0, "question 1 added, pending: x\n")
    [question] = store.questions(None, 5)
    assert (question.author, question.author_email) == (None, None)


def test_without_a_terminal_a_missing_title_is_a_one_line_usage_error(
    config: Path, store: SqlStore
) -> None:
    refused = newsletter(config, "questions", "add", "--body", "y", input="")
    assert refused.exit_code == 2
    assert refused.output == (
        "newsletter: questions add needs --title when not run from a terminal\n"
    )
    assert store.questions(None, 5) == []
