"""publish removes the half-written temporary files a killed publish left (issue 11), and
leaves alone those young enough to belong to a publish running now."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from newsletter.publish import publish_site
from newsletter.store import SqlStore
from tests.support.publish import make_settings

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def test_stale_temporary_files_are_removed(store: SqlStore, tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    out = tmp_path / "public"
    (out / "archive").mkdir(parents=True)
    stale = [out / ".feed.xml.k2j3h4.tmp", out / "archive" / ".index.html.x8y9.tmp"]
    fresh = out / ".atom.xml.running.tmp"
    for path in [*stale, fresh]:
        path.write_bytes(b"<half")
    hour_ago = NOW.timestamp() - 3600
    for path in stale:
        os.utime(path, (hour_ago, hour_ago))
    os.utime(fresh, (NOW.timestamp() - 60, NOW.timestamp() - 60))
    kept = out / ".well-known"
    kept.mkdir()

    publish_site(settings, store, NOW, out)
    assert not [p for p in stale if p.exists()]
    assert fresh.exists(), "a publish running right now keeps its file"
    assert kept.is_dir() and (out / "feed.xml").exists()
