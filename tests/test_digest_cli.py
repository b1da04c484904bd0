"""The digest, preview and exercises commands, end to end on a real database."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from newsletter.cli import cli
from newsletter.digest.compose import UNSUBSCRIBE_PLACEHOLDER
from newsletter.store import SqlStore
from newsletter.store.engine import make_engine, upgrade
from tests.support.digest import BASE_URL, SEND_W48, add, article, site_settings


@pytest.fixture
def site(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    settings = site_settings(tmp_path / "site")
    monkeypatch.setenv("NEWSLETTER_DATABASE_URL", database_url)
    monkeypatch.setenv("NEWSLETTER_BASE_URL", BASE_URL)
    for module in ("digest", "exercises"):
        monkeypatch.setattr(
            f"newsletter.cli.{module}.utcnow", lambda: SEND_W48 + timedelta(hours=1)
        )
    engine = make_engine(database_url)
    upgrade(engine)
    store = SqlStore(engine)
    add(store, SEND_W48 - timedelta(days=1), article("a", "Tempo & <b>runs</b>", SEND_W48))
    store.close()
    return settings.config_path


def newsletter(config: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), *args])


def test_digest_builds_once_and_says_so(site: Path) -> None:
    first = newsletter(site, "digest")
    assert first.exit_code == 0, first.output
    assert first.output.splitlines() == [
        "digest 2026-W48: built, 1 item(s)",
        "  subject: Toe tapping, plus 1 new article",
        "  exercise: Toe tapping",
    ]
    again = newsletter(site, "digest", "--week", "2026-W48")
    assert again.output.startswith("digest 2026-W48: already built on 2026-11-23 08:00 UTC, 1 item")


def test_preview_writes_html_or_text_and_records_nothing(site: Path, tmp_path: Path) -> None:
    html = newsletter(site, "preview", "--week", "2026-W48")
    assert html.exit_code == 0
    assert "Tempo &amp; &lt;b&gt;runs&lt;/b&gt;" in html.stdout
    assert UNSUBSCRIBE_PLACEHOLDER not in html.stdout
    assert "(not built yet; nothing recorded)" in html.stderr

    out = tmp_path / "digest.txt"
    text = newsletter(site, "preview", "--text", "--out", str(out))
    assert text.exit_code == 0 and str(out) in text.output
    assert "* Tempo & <b>runs</b>\n" in out.read_text()
    assert f"Unsubscribe with one click: {BASE_URL}\n" in out.read_text()

    built = newsletter(site, "digest")
    assert "built, 1 item(s)" in built.output, "the previews recorded nothing"


def test_exercises_list_and_feature(site: Path) -> None:
    pinned = newsletter(site, "exercises", "feature", "calf-raises", "--week", "2026-W49")
    assert pinned.exit_code == 0
    assert pinned.output == "2026-W49 will feature Calf raises (calf-raises)\n"
    listed = newsletter(site, "exercises", "list")
    assert listed.exit_code == 0
    assert "2026-W49*" in listed.output
    assert "2026-W48: Toe tapping (next in turn)" in listed.output
    assert "2026-W49: Calf raises (pinned)" in listed.output


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["digest", "--week", "2026-48"], 2, "'2026-48' is not an ISO week; write it like"),
        (["exercises", "feature", "calf-raise"], 2, "did you mean 'calf-raises'?"),
    ],
)
def test_mistakes_are_one_line(site: Path, args: list[str], status: int, message: str) -> None:
    result = newsletter(site, *args)
    assert result.exit_code == status
    assert len(result.output.splitlines()) == 1 and message in result.output
