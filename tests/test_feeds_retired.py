"""A feed removed from feeds.yaml (issue 19, item 6): no longer fetched, shown once as
retired by `status` (not as a failing feed with a next attempt, for ever), and forgotten
with `newsletter feeds forget`, its entries kept."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from click.testing import CliRunner, Result

from newsletter.cli import cli
from newsletter.store import SqlStore
from newsletter.store.entries import EntryKind

ROOT = Path(__file__).parents[1]


def test_a_removed_feed_is_retired_then_forgotten_and_its_entries_kept(
    tmp_path: Path, database_url: str, store: SqlStore
) -> None:
    shutil.copy(ROOT / "feeds.yaml", tmp_path / "feeds.yaml")
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    config = tmp_path / "feeds.yaml"
    env = {"NEWSLETTER_DATABASE_URL": database_url, "NEWSLETTER_OUTBOX": "outbox"}

    def newsletter(*args: str) -> Result:
        result = CliRunner().invoke(cli, ["--config", str(config), *args], env=env)
        assert result.exit_code == 0, result.output
        return result

    newsletter("collect")
    articles = store.entry_count(EntryKind.ARTICLE)
    text = config.read_text(encoding="utf-8")
    first = re.search(r"(?ms)^  - name: (.+?)\n.*?(?=^  - name: )", text)
    assert first is not None
    config.write_text(text.replace(first.group(0), ""), encoding="utf-8")
    gone = first.group(1).strip().strip("'\"")

    data = json.loads(newsletter("status", "--json").output)
    assert gone not in [feed["name"] for feed in data["feeds"]]
    assert [feed["name"] for feed in data["retired_feeds"]] == [gone]
    plain = newsletter("status").output
    assert plain.count(gone) == 1 and "retired (no longer in feeds.yaml" in plain

    said = newsletter("feeds", "forget").output
    assert said == f"forgot 1 retired feed(s): {gone}\n"
    assert json.loads(newsletter("status", "--json").output)["retired_feeds"] == []
    assert store.entry_count(EntryKind.ARTICLE) == articles, "the entries stay"
    assert "no retired feeds" in newsletter("feeds", "forget").output
