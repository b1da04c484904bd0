"""The publishing commands, as a site owner runs them."""

from __future__ import annotations

import socket
from pathlib import Path

import feedparser
from click.testing import CliRunner

from newsletter.cli import cli
from newsletter.config import load_settings
from newsletter.store import open_store
from tests.support.publish import NOW, entry, make_settings


def test_publish_writes_the_site_and_says_so(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    store = open_store(settings.env.database_url)  # the site's own embedded SQLite
    [feed, _] = store.sync_feeds(settings.feeds, NOW)
    store.save_entries(feed.id, [entry(1), entry(2)], NOW)
    store.close()
    config = str(settings.config_path)
    runner = CliRunner()

    first = runner.invoke(cli, ["--config", config, "publish"])
    second = runner.invoke(cli, ["--config", config, "publish"])
    elsewhere = runner.invoke(cli, ["--config", config, "publish", "--out", str(tmp_path / "o")])

    public = tmp_path / "public"
    assert first.exit_code == 0, first.output
    assert first.output == (
        f"published 2 entries and 0 digests to {public}: 9 files written, 0 unchanged\n"
    )
    assert second.output.endswith(": 0 files written, 9 unchanged\n")
    assert elsewhere.exit_code == 0 and (tmp_path / "o" / "feed.xml").exists()
    assert len(feedparser.parse((public / "feed.xml").read_bytes()).entries) == 2


def test_publish_reports_an_unreachable_hub_and_still_succeeds(tmp_path: Path) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        hub = f"http://127.0.0.1:{closed.getsockname()[1]}/"
        settings = make_settings(tmp_path, extra=f"websub_hub: {hub}\n")
        result = CliRunner().invoke(cli, ["--config", str(settings.config_path), "publish"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].endswith("9 files written, 0 unchanged")
    assert lines[1].startswith(f"  the WebSub hub {hub} was not notified: cannot connect")


def test_serve_on_a_taken_port_is_one_sentence(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(
            cli, ["--config", str(settings.config_path), "serve", "--port", str(port)]
        )
    assert result.exit_code == 1
    assert result.output == (
        f"newsletter: cannot listen on 127.0.0.1:{port}: Address already in use\n"
    )


def test_feeds_import_keeps_the_settings_loadable(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    opml = tmp_path / "in.opml"
    opml.write_text(
        '<opml version="2.0"><body><outline text="New" xmlUrl="https://new.example/feed"/>'
        "</body></opml>"
    )
    result = CliRunner().invoke(
        cli, ["--config", str(settings.config_path), "feeds", "import", str(opml)]
    )
    assert result.exit_code == 0, result.output
    names = [f.name for f in load_settings(settings.config_path, {}).feeds]
    assert names == ["Running Training", "Readers' questions", "New"]


def test_an_unwritable_output_folder_is_one_sentence(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the output folder should be")
    out = blocker / "public"
    result = CliRunner().invoke(
        cli, ["--config", str(settings.config_path), "publish", "--out", str(out)]
    )
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines == [f"newsletter: cannot create the folder {out}: Not a directory"]
