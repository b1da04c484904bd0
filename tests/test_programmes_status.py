"""`newsletter status` and `status --json`: where the readers of each programme are (at each
step, paused, finished, left), over a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from newsletter.cli import cli
from newsletter.status import programme_data, programme_line
from newsletter.store import SqlStore
from newsletter.store.programmes import ProgrammeCounts
from tests.support.programmes import KEY, TITLE, readers_everywhere
from tests.support.web import SECRET, SITE

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.fixture
def site(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    config = tmp_path / "feeds.yaml"
    config.write_text(SITE, encoding="utf-8")
    environ = {
        "NEWSLETTER_SECRET_KEY": SECRET,
        "NEWSLETTER_BASE_URL": "https://news.example.com/",
        "NEWSLETTER_DATABASE_URL": database_url,
    }
    for name, value in environ.items():  # the command reads its own environment
        monkeypatch.setenv(name, value)
    return config


def status(config: Path, *args: str) -> Result:
    result = CliRunner().invoke(cli, ["--config", str(config), "status", *args])
    assert result.exit_code == 0, result.output
    return result


def test_status_json_counts_the_readers_at_each_place(site: Path, store: SqlStore) -> None:
    readers_everywhere(store, NOW)

    data = json.loads(status(site, "--json").output)

    assert data["programmes_error"] is None
    assert data["programmes"] == [
        {
            "key": KEY,
            "title": TITLE,
            "steps": 11,
            "at_step": [1, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0],
            "paused": 1,
            "finished": 2,
            "left": 2,
        }
    ]
    text = " ".join(status(site).output.split())  # rich wraps to the terminal
    assert (
        f"programme {KEY}: 4 in it (by steps had: 0: 1, 3: 3), 1 paused, 2 finished, 2 left"
    ) in text


def test_a_programme_nobody_joined_and_a_mistake_in_the_file(site: Path, store: SqlStore) -> None:
    assert f"programme {KEY}: nobody has joined yet" in status(site).output
    (site.parent / "programmes.yaml").write_text("programmes:\n  - key: x\n", encoding="utf-8")

    data = json.loads(status(site, "--json").output)  # the rest is reported all the same

    assert data["programmes"] == []
    assert "programmes.yaml:2: a programme is missing 'title'" in data["programmes_error"]
    assert data["feeds"] == [] and data["digest"] is None
    said = " ".join(status(site).output.split())
    assert "programmes: none offered, " in said and "is missing 'title'" in said


def test_the_line_of_a_programme() -> None:
    counts = ProgrammeCounts(KEY, {0: 2, 10: 1}, paused=0, finished=4, left=1)
    data = programme_data(TITLE, 11, counts)
    assert data["at_step"] == [2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]
    assert programme_line(data) == (
        f"programme {KEY}: 3 in it (by steps had: 0: 2, 10: 1), 0 paused, 4 finished, 1 left"
    )
    everyone_done = programme_data(TITLE, 11, ProgrammeCounts(KEY, finished=5))
    assert programme_line(everyone_done) == (
        f"programme {KEY}: 0 in it, 0 paused, 5 finished, 0 left"
    )
