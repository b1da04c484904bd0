"""The bundled sample stays alive on any date: `make run`'s copy of it, run at dates years
apart, builds a first digest with articles, questions and the exercise."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsletter.config import load_settings
from newsletter.digest import current_week
from newsletter.run import run_all
from newsletter.sample import FEEDS, write_sample
from newsletter.store import SqlStore
from tests.support.clock import Clock

ROOT = Path(__file__).parents[1]


class Ticking(Clock):
    """Each reading a second later, as real time moves between run's steps: the digest
    covers what was first seen before it was built."""

    def __call__(self) -> datetime:
        self.advance(seconds=1)
        return self.now


def committed() -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in [ROOT / "feeds.yaml", *sorted((ROOT / FEEDS).iterdir())]
    }


@pytest.mark.slow  # worker processes or a server
@pytest.mark.parametrize(
    "now",
    [
        datetime(2027, 6, 15, 10, 0, tzinfo=UTC),  # a Tuesday, months after the sample
        datetime(2031, 2, 3, 0, 30, tzinfo=UTC),  # a Monday just after midnight, years on
    ],
    ids=["2027-06-15", "2031-02-03"],
)
def test_the_sample_builds_a_full_digest_on_any_date(
    now: datetime, tmp_path: Path, store: SqlStore, database_url: str
) -> None:
    before = committed()
    config = write_sample(ROOT, tmp_path / "sample", now)
    settings = load_settings(
        config, {"NEWSLETTER_DATABASE_URL": database_url, "NEWSLETTER_OUTBOX": "outbox"}
    )
    report = run_all(settings, store, Ticking(now))
    assert report.ok, report.errors
    assert report.steps["digest"].as_dict()["status"] == "built"
    digest = store.built_digest(current_week(now, settings.newsletter.timezone))
    assert digest is not None and digest.item_count >= 5
    assert "Cool-Down Stretches That Are Actually Worth Your Time" in digest.text  # an article
    assert "How Fast Should I Run Without Putting My Heart in Danger?" in digest.text  # a question
    [exercise] = [e for e in store.exercise_catalog() if e.id == digest.exercise_id]
    assert exercise.name in digest.subject and exercise.name in digest.html
    assert committed() == before, "the committed sample files never change"
