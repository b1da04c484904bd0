"""`newsletter init [DIR]`: starter files the config loader accepts and `run` works on,
never an overwrite, and the next steps."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsletter.cli import cli
from newsletter.config import load_settings
from newsletter.digest.catalog import load_catalog
from newsletter.run import run_all
from newsletter.store import SqlStore
from tests.support.clock import Clock


class Ticking(Clock):
    def __call__(self) -> datetime:
        self.advance(seconds=1)
        return self.now


@pytest.mark.slow  # worker processes or a server
def test_init_writes_a_site_that_loads_and_runs(
    tmp_path: Path, store: SqlStore, database_url: str
) -> None:
    site = tmp_path / "new-site"
    result = CliRunner().invoke(cli, ["init", str(site)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in site.iterdir()) == [
        "exercises.yaml",
        "feeds.yaml",
        "questions.xml",
    ]
    steps = ("*/10 * * * *", "newsletter.timer", "NEWSLETTER_BASE_URL=", "SPF", "DKIM")
    for step in (*steps, "NEWSLETTER_SMTP_URL=", "admin add", "deployment.md"):
        assert step in result.output
    assert "in newsletter's source" not in result.output, "a pip user has no source tree"
    assert "DMARC  TXT  _dmarc" in result.output
    assert "# " in (site / "feeds.yaml").read_text(), "commented"

    environ = {"NEWSLETTER_DATABASE_URL": database_url, "NEWSLETTER_OUTBOX": "outbox"}
    settings = load_settings(site / "feeds.yaml", environ)
    assert [(f.name, f.kind) for f in settings.feeds] == [("Readers' questions", "questions")]
    assert len(load_catalog(site / "exercises.yaml")) >= 5
    # A Monday after send time: the run collects the example question and builds a digest.
    report = run_all(settings, store, Ticking(datetime(2027, 3, 1, 9, 0, tzinfo=UTC)))
    assert report.ok, report.errors
    digest = store.built_digest("2027-W09")
    assert digest is not None and digest.item_count == 1
    assert "How often should I run as a beginner?" in digest.text


def test_init_never_overwrites(tmp_path: Path) -> None:
    (tmp_path / "exercises.yaml").write_text("mine\n")
    result = CliRunner().invoke(cli, ["init", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output == (
        f"newsletter: {tmp_path / 'exercises.yaml'} already exists; "
        "init never overwrites a file (move it away)\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exercises.yaml"], "nothing written"
    assert (tmp_path / "exercises.yaml").read_text() == "mine\n"
