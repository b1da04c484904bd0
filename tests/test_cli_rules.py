"""One rule for the whole CLI, checked over its commands: exit 0 done, 1 the command failed,
2 usage, configuration or bad input ("not found" is bad input); an error is one line.
And what a person or a script reads: whole slugs and dates at 80 columns, ISO times in
--json, questions newest first with their text, quiet cron logs."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from newsletter.cli import cli
from newsletter.collect import FeedOutcome
from newsletter.progress import FeedProgress
from newsletter.store import SqlStore

ROOT = Path(__file__).parents[1]


@pytest.fixture
def site(tmp_path: Path, database_url: str, store: SqlStore) -> tuple[Path, dict[str, str]]:
    """The bundled feeds.yaml and sample feeds, on the test's database (at its schema)."""
    shutil.copy(ROOT / "feeds.yaml", tmp_path / "feeds.yaml")
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    env = {"NEWSLETTER_DATABASE_URL": database_url, "COLUMNS": "80", "NEWSLETTER_OUTBOX": "outbox"}
    return tmp_path / "feeds.yaml", env


def invoke(site: tuple[Path, dict[str, str]], *args: str, **env: str) -> Result:
    config, environ = site
    return CliRunner(env={**environ, **env}).invoke(cli, ["--config", str(config), *args])


EXIT_CODES = [
    # bad input, including names and ids that exist nowhere: 2
    (("exercises", "feature", "nope"), 2, "newsletter: no exercise 'nope'"),
    (("questions", "approve", "999"), 2, "newsletter: there is no question 999"),
    (("questions", "reject", "999"), 2, "newsletter: there is no question 999"),
    (("subscribers", "add", "not-an-email"), 2, "newsletter: 'not-an-email' is not a valid"),
    (("subscribers", "remove", "nobody@example.org"), 2, "newsletter: nobody@example.org is not"),
    (("send", "--week", "2099-W01"), 2, "newsletter: there is no digest for 2099-W01"),
    (("send", "--week", "nope"), 2, "newsletter: 'nope' is not an ISO week"),
    (("digest", "--week", "2026-W99"), 2, "newsletter: '2026-W99' is not an ISO week"),
    (("preview", "--week", "W1"), 2, "newsletter: 'W1' is not an ISO week"),
    (("feeds", "import", "missing.opml"), 2, "newsletter: cannot read "),
    (("questions", "add", "--body", "b"), 2, "newsletter: questions add needs --title"),
    (("db", "backup", "{site}/feeds.yaml"), 2, "newsletter: "),  # exists, or not SQLite
    # usage errors click finds: 2 (click prints its usage, then the error)
    (("no-such-command",), 2, "Usage: "),
    (("questions", "approve", "one"), 2, "Usage: "),
    # done: 0
    (("status",), 0, "feeds"),
    (("questions", "list"), 0, ""),
    (("exercises", "list"), 0, "exercises"),
    (("questions", "add", "--title", "t", "--body", "b"), 0, "question 1 added, pending: t"),
]


@pytest.mark.parametrize(
    ("args", "code", "start"), EXIT_CODES, ids=[" ".join(case[0]) for case in EXIT_CODES]
)
def test_exit_codes(
    site: tuple[Path, dict[str, str]], args: tuple[str, ...], code: int, start: str
) -> None:
    folder = str(site[0].parent)
    result = invoke(site, *(arg.replace("{site}", folder) for arg in args))
    assert result.exit_code == code, result.output
    assert result.output.startswith(start.replace("{site}", folder))
    if start.startswith("newsletter: "):
        assert len(result.output.splitlines()) == 1, "one line"
    assert "Traceback" not in result.output and "Aborted!" not in result.output


def test_a_command_that_fails_exits_1(site: tuple[Path, dict[str, str]]) -> None:
    result = invoke(site, "status", NEWSLETTER_DATABASE_URL="sqlite:////proc/no/such/x.sqlite3")
    assert result.exit_code == 1
    assert result.output.startswith("newsletter: cannot create the database folder")


def test_a_misspelt_variable_gets_a_did_you_mean(site: tuple[Path, dict[str, str]]) -> None:
    result = invoke(site, "status", NEWSLETTER_DATBASE_URL="sqlite:///x.sqlite3")
    assert result.exit_code == 2
    assert result.output == (
        "newsletter: unknown environment variable NEWSLETTER_DATBASE_URL; "
        "did you mean NEWSLETTER_DATABASE_URL?\n"
    )


@pytest.mark.slow
def test_output_at_80_columns_and_for_programs(site: tuple[Path, dict[str, str]]) -> None:
    collected = invoke(site, "collect")
    assert collected.exit_code == 0, collected.output
    assert collected.output.count("\n") == 1, "under cron: one summary line, no problems"

    listed = invoke(site, "exercises", "list")
    slugs = re.findall(r"^\s*- slug: (\S+)$", (ROOT / "exercises.yaml").read_text(), re.M)
    assert slugs
    words = set(listed.output.split())
    assert [s for s in slugs if s not in words] == [], "every slug whole at 80 columns"
    assert max(len(line) for line in listed.output.splitlines()) <= 80

    status = invoke(site, "status")
    assert len(re.findall(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC", status.output)) >= 4
    # Piped (`status | cat`), no table cut into 80 columns: one plain line per feed.
    feed_lines = [line for line in status.output.splitlines() if line.startswith("  ")]
    names = [line.split(":")[0].strip() for line in feed_lines]
    assert len(feed_lines) == 4 and "Running Tips" in " ".join(names), status.output
    assert all(", last success 20" in line for line in feed_lines), feed_lines
    assert "┃" not in status.output and "│" not in status.output

    questions = invoke(site, "questions", "list")
    titles = re.findall(r"^\s+\d+\s+approved\s+(\S+ \S+)\s+(.+)$", questions.output, re.M)
    dates = [when for when, _ in titles]
    assert len(dates) == 8 and dates == sorted(dates, reverse=True), "newest first"
    assert titles[0][1] == "How Fast Should I Run Without Putting My Heart in Danger?"
    assert "I am a beginner runner." in questions.output, "a feed question's text"

    exported = invoke(site, "feeds", "export")
    assert exported.exit_code == 0
    assert "<outline" not in exported.stdout
    assert exported.stderr.startswith("note: 4 feed(s) left out of the OPML")


def outcomes(count: int) -> list[FeedOutcome]:
    return [FeedOutcome(f"feed {n}", "not_modified") for n in range(count)] + [
        FeedOutcome("broken", "failed", message="HTTP 500"),
        FeedOutcome("odd", "ok", new=1, warning="no dates"),
    ]


@pytest.mark.parametrize(("verbose", "lines"), [(False, 1), (True, 303)])
def test_cron_logs_a_line_per_problem_unless_verbose(verbose: bool, lines: int) -> None:
    """300 unchanged feeds under cron: the failure is in the report, the warning here."""
    stream = io.StringIO()
    progress = FeedProgress(stream, force_plain=True, verbose=verbose)
    progress.start(302)
    for outcome in outcomes(300):
        progress.feed(outcome)
    progress.stop()
    logged = stream.getvalue().splitlines()
    assert len(logged) == lines
    assert logged[-1].endswith("odd: 1 new, 0 updated (warning: no dates)")
