"""`run` = collect → digest (when due) → publish, over the bundled site."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newsletter.config import Settings, load_settings
from newsletter.run import run_all
from newsletter.store import SqlStore
from tests.support.clock import Clock

ROOT = Path(__file__).parents[1]
OUTBOX = {"NEWSLETTER_OUTBOX": "outbox"}  # the emails to a folder, asked for by name


def bundled_site(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "feeds.yaml", tmp_path / "feeds.yaml")
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    return tmp_path / "feeds.yaml"


def running_since(settings: Settings, store: SqlStore) -> None:
    """A site that ran before W48's send time (Monday 23 Nov 07:00): W48's digest is due to
    it, where a site set up after that waits for W49's (see test_first_week)."""
    before = run_all(settings, store, Clock(datetime(2026, 11, 20, 9, 0, tzinfo=UTC)))
    digest = before.steps["digest"].as_dict()
    assert (digest["status"], digest["week"]) == ("first_waits", "2026-W48")


def test_a_run_after_send_time_leaves_an_archive_page_naming_the_exercise(
    store: SqlStore, tmp_path: Path
) -> None:
    settings = load_settings(bundled_site(tmp_path), OUTBOX)
    running_since(settings, store)
    clock = Clock(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))  # Wednesday of 2026-W48
    report = run_all(settings, store, clock)
    assert report.ok, report.errors
    steps = ["collect", "digest", "publish", "send", "programmes", "answers", "welcome"]
    assert list(report.steps) == steps
    assert report.steps["digest"].as_dict()["status"] == "built"
    page = tmp_path / "public" / "archive" / "2026-W48.html"
    exercise = report.steps["digest"].as_dict()["exercise"]
    assert exercise and exercise in page.read_text()
    for name in ("feed.xml", "atom.xml", "feed.json", "archive/index.html"):
        assert (tmp_path / "public" / name).is_file()

    clock.advance(minutes=10)
    again = run_all(settings, store, clock)
    assert again.steps["digest"].as_dict()["status"] == "already_built"
    assert again.steps["publish"].as_dict()["written"] == [], "nothing changed, nothing written"


def test_before_send_time_no_digest_is_built(store: SqlStore, tmp_path: Path) -> None:
    settings = load_settings(bundled_site(tmp_path), OUTBOX)
    clock = Clock(datetime(2026, 11, 23, 6, 59, tzinfo=UTC))  # Monday 06:59 in London
    report = run_all(settings, store, clock)
    assert report.steps["digest"].as_dict()["status"] == "not_due"
    assert not (tmp_path / "public" / "archive" / "2026-W48.html").exists()


def test_a_failing_step_is_reported_and_the_others_still_run(
    store: SqlStore, tmp_path: Path
) -> None:
    settings = load_settings(bundled_site(tmp_path), OUTBOX)
    running_since(settings, store)
    shutil.rmtree(tmp_path / "public")
    (tmp_path / "public").write_text("a file where the public folder should be")
    report = run_all(settings, store, Clock(datetime(2026, 11, 25, 9, 0, tzinfo=UTC)))
    assert not report.ok and list(report.errors) == ["publish"]
    assert report.steps["digest"].as_dict()["status"] == "built"
    assert any(line.startswith("publish failed: ") for line in report.lines())


@pytest.mark.slow
def test_make_run_equivalent_from_the_command_line(tmp_path: Path) -> None:
    bundled_site(tmp_path)
    environ = {k: v for k, v in os.environ.items() if not k.startswith("NEWSLETTER_")}

    def run(**env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "newsletter", "run"],
            cwd=tmp_path,
            env={**environ, **env},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    # Cron without a mail server: a configuration error before anything is done.
    refused = run()
    assert refused.returncode == 2, refused.stderr
    assert "no mail server: set NEWSLETTER_SMTP_URL" in refused.stderr
    assert not (tmp_path / "db").exists() and not (tmp_path / "outbox").exists()
    result = run(**OUTBOX)
    assert result.returncode == 0, result.stderr
    assert "26 new" in result.stdout
    assert (tmp_path / "public" / "feed.xml").is_file()
    assert (tmp_path / "db" / "newsletter.sqlite3").is_file()


def test_run_sends_the_built_digest_once_to_each_subscriber(
    store: SqlStore, tmp_path: Path
) -> None:
    from newsletter.subscribers import add_subscribers

    settings = load_settings(bundled_site(tmp_path), OUTBOX)
    running_since(settings, store)
    clock = Clock(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))  # W48, due Monday 23 Nov 07:00
    add_subscribers(store, ["ann@example.com", "bob@example.org"], confirmed=True, now=clock())
    report = run_all(settings, store, clock)
    assert report.ok, report.errors
    outbox = sorted((tmp_path / "outbox").glob("*.eml"))
    assert len(outbox) == 2
    assert {b"To: ann@example.com", b"To: bob@example.org"} == {
        line for f in outbox for line in f.read_bytes().splitlines() if line.startswith(b"To: ")
    }
    clock.advance(minutes=10)
    assert run_all(settings, store, clock).ok
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 2, "nobody gets it twice"


@pytest.mark.slow
def test_status_shows_feed_health_and_the_digest_counts(tmp_path: Path) -> None:
    import json

    bundled_site(tmp_path)

    def newsletter(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "newsletter", *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return result.stdout

    newsletter("subscribers", "add", "--confirmed", "ann@example.com")
    newsletter("collect")
    newsletter("digest", "--week", "2026-W47", "--late")  # a week that is over, on any date
    data = json.loads(newsletter("status", "--json"))
    started = data["last_run"]["started"]  # ISO 8601, as a program parses it
    assert datetime.fromisoformat(started).utcoffset() == timedelta(0) and "T" in started
    assert datetime.fromisoformat(data["feeds"][0]["last_success"]).tzinfo is not None
    assert [f["health"] for f in data["feeds"]] == ["ok"] * 4
    assert data["entries"] == {"article": 18, "question": 8}
    assert data["digest"]["week"] == "2026-W47"
    # Ann joined today, after W47's digest date (its send time): never a digest dated before.
    assert data["digest"]["deliveries"]["pending"] == 0
    assert data["last_run"]["command"] == "collect"
    text = newsletter("status")
    assert "digest 2026-W47" in text and "0 pending" in text
