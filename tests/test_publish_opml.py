"""OPML: export the configured feeds; import a reader's feeds into feeds.yaml as text."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsletter.cli import cli
from newsletter.config import FeedConfig, load_settings
from newsletter.config.opml import OpmlError, export_opml, import_opml, parse_opml

FEEDS_YAML = """\
# The site's feeds; comments like this one must survive an import.
site:
  title: Best Running Tips
  url: https://www.example.com/
newsletter:
  from: Best Running Tips <news@example.com>
feeds:
  - name: Running Training   # the main blog
    url: https://www.example.com/running-training/feed.xml
  - name: Readers' questions
    path: questions.xml
    kind: questions
  - name: Trail -- Tips
    url: https://trail.example/feed
    kind: questions
# collect settings follow
collect:
  concurrency: 4
"""

OPML = """\
<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>My reader</title></head>
  <body>
    <outline text="Running">
      <outline type="rss" text="Running Training again" xmlUrl="HTTPS://WWW.EXAMPLE.COM/running-training/feed.xml"/>
      <outline type="rss" text="Marathon Tips" title="Marathon: Tips &amp; &quot;Plans&quot;" xmlUrl="https://marathon.example/rss"/>
      <outline type="rss" text="Running Training" xmlUrl="https://other.example/feed.xml"/>
    </outline>
    <outline type="rss" text="Ask us" xmlUrl="https://ask.example/feed" category="/Questions"/>
    <outline type="rss" text="Gopher" xmlUrl="gopher://old.example/feed"/>
    <outline type="rss" text="Marathon duplicate" xmlUrl="https://marathon.example/rss"/>
    <outline type="link" text="Just a link" url="https://example.org/"/>
  </body>
</opml>
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text(FEEDS_YAML, encoding="utf-8")
    return path


def _title_and_feeds(config: Path) -> tuple[str, tuple[FeedConfig, ...]]:
    settings = load_settings(config, {})
    return settings.site.title, settings.feeds


def write_opml(tmp_path: Path, text: str = OPML) -> Path:
    path = tmp_path / "reader.opml"
    path.write_text(text, encoding="utf-8")
    return path


def test_export_lists_url_feeds_and_notes_local_files(config: Path) -> None:
    data = export_opml(*_title_and_feeds(config))
    root = ET.fromstring(data)
    assert root.tag == "opml" and root.get("version") == "2.0"
    assert root.findtext("head/title") == "Best Running Tips: feeds"
    outlines = root.findall("body/outline")
    assert [
        (o.get("type"), o.get("text"), o.get("xmlUrl"), o.get("category")) for o in outlines
    ] == [
        ("rss", "Running Training", "https://www.example.com/running-training/feed.xml", None),
        ("rss", "Trail -- Tips", "https://trail.example/feed", "/questions"),
    ]
    assert all(o.get("title") == o.get("text") for o in outlines)
    assert b"<!-- Readers' questions reads a local file (questions.xml): not listed -->" in data
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")


def test_export_then_import_round_trips(config: Path, tmp_path: Path) -> None:
    exported = export_opml(*_title_and_feeds(config))
    feeds, notes = parse_opml(exported)
    assert [(f.name, f.url, f.kind) for f in feeds] == [
        ("Running Training", "https://www.example.com/running-training/feed.xml", "articles"),
        ("Trail -- Tips", "https://trail.example/feed", "questions"),
    ]
    assert notes == []


def test_import_appends_new_feeds_as_text_keeping_comments(config: Path, tmp_path: Path) -> None:
    before = config.read_text(encoding="utf-8")

    result = import_opml(config, load_settings(config, {}).feeds, write_opml(tmp_path))

    assert [(f.name, f.url, f.kind) for f in result.added] == [
        ('Marathon: Tips & "Plans"', "https://marathon.example/rss", "articles"),
        ("Running Training (2)", "https://other.example/feed.xml", "articles"),
        ("Ask us", "https://ask.example/feed", "questions"),
    ]
    assert result.already == [
        "HTTPS://WWW.EXAMPLE.COM/running-training/feed.xml",  # configured, in another case
        "https://marathon.example/rss",  # listed twice in the OPML
    ]
    assert result.skipped == ["Gopher: 'gopher://old.example/feed' is not an http(s) URL"]
    after = config.read_text(encoding="utf-8")
    head, tail = before.split("# collect settings follow\n")
    assert after.startswith(head) and after.endswith("# collect settings follow\n" + tail)
    assert after[len(head) : -len("# collect settings follow\n" + tail)] == (
        '  - name: "Marathon: Tips & \\"Plans\\""\n'
        '    url: "https://marathon.example/rss"\n'
        '  - name: "Running Training (2)"\n'
        '    url: "https://other.example/feed.xml"\n'
        '  - name: "Ask us"\n'
        '    url: "https://ask.example/feed"\n'
        "    kind: questions\n"
    )
    settings = load_settings(config, {})
    assert [f.name for f in settings.feeds][-3:] == [
        'Marathon: Tips & "Plans"',
        "Running Training (2)",
        "Ask us",
    ]
    assert settings.feeds[-1].kind == "questions"
    assert result.summary(config) == f"added 3 feeds to {config}; 2 already present; 1 skipped"


def test_importing_twice_adds_nothing_the_second_time(config: Path, tmp_path: Path) -> None:
    opml = write_opml(tmp_path)
    import_opml(config, load_settings(config, {}).feeds, opml)
    once = config.read_text(encoding="utf-8")
    again = import_opml(config, load_settings(config, {}).feeds, opml)
    assert again.added == [] and len(again.already) == 5
    assert config.read_text(encoding="utf-8") == once


def test_a_document_declaring_entities_is_refused(config: Path, tmp_path: Path) -> None:
    laughs = """<?xml version="1.0"?>
<!DOCTYPE opml [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">]>
<opml version="2.0"><body><outline text="&lol2;" xmlUrl="https://a.example/"/></body></opml>
"""
    before = config.read_text(encoding="utf-8")
    with pytest.raises(OpmlError, match="declares a DTD or entities; refused"):
        import_opml(config, load_settings(config, {}).feeds, write_opml(tmp_path, laughs))
    assert config.read_text(encoding="utf-8") == before


def test_an_external_entity_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    xxe = f"""<?xml version="1.0"?>
<!DOCTYPE opml [<!ENTITY xxe SYSTEM "file://{secret}">]>
<opml version="2.0"><body><outline text="&xxe;" xmlUrl="https://a.example/"/></body></opml>
"""
    with pytest.raises(OpmlError, match="refused"):
        parse_opml(xxe.encode())


def test_broken_xml_names_its_line(tmp_path: Path) -> None:
    with pytest.raises(OpmlError, match=r"reader\.opml:3: not valid XML"):
        parse_opml(b"<opml>\n<body>\n<outline></body>", str(tmp_path / "reader.opml"))


def test_an_import_that_would_break_feeds_yaml_leaves_it_untouched(
    config: Path, tmp_path: Path
) -> None:
    settings = load_settings(config, {})
    # The file changes after the settings were read: the result would be invalid.
    broken = config.read_text(encoding="utf-8").replace("concurrency: 4", "concurency: 4")
    config.write_text(broken, encoding="utf-8")
    with pytest.raises(OpmlError) as caught:
        import_opml(config, settings.feeds, write_opml(tmp_path))
    message = str(caught.value)
    assert message.startswith("not imported, feeds.yaml is unchanged: ")
    assert f"{config}:" in message and "concurency" in message
    assert config.read_text(encoding="utf-8") == broken
    assert sorted(p.name for p in tmp_path.iterdir()) == ["feeds.yaml", "reader.opml"]


def test_an_empty_flow_list_is_filled(tmp_path: Path) -> None:
    config = tmp_path / "feeds.yaml"
    head = FEEDS_YAML.split("feeds:\n")[0]
    config.write_text(head + "feeds: []   # none yet\n", encoding="utf-8")
    result = import_opml(config, load_settings(config, {}).feeds, write_opml(tmp_path))
    assert len(result.added) == 4
    text = config.read_text(encoding="utf-8")
    assert 'feeds: # none yet\n  - name: "Running Training again"\n' in text
    assert len(load_settings(config, {}).feeds) == 4


def test_the_commands(config: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    exported = runner.invoke(cli, ["--config", str(config), "feeds", "export"])
    assert exported.exit_code == 0, exported.output
    assert 'xmlUrl="https://trail.example/feed"' in exported.output
    out = tmp_path / "out.opml"
    to_file = runner.invoke(cli, ["--config", str(config), "feeds", "export", "--out", str(out)])
    assert to_file.exit_code == 0 and out.read_text() == exported.stdout
    # The local-file feed is only a comment in the OPML: stderr says so, once.
    note = "note: 1 feed(s) left out of the OPML, as feed readers cannot follow them"
    assert exported.stderr.startswith(note) and to_file.stderr.startswith(note)

    imported = runner.invoke(
        cli, ["--config", str(config), "feeds", "import", str(write_opml(tmp_path))]
    )
    assert imported.exit_code == 0, imported.output
    assert imported.output.splitlines() == [
        f"added 3 feeds to {config}; 2 already present; 1 skipped",
        "  skipped Gopher: 'gopher://old.example/feed' is not an http(s) URL",
    ]
    missing = runner.invoke(
        cli, ["--config", str(config), "feeds", "import", str(tmp_path / "nope.opml")]
    )
    assert missing.exit_code == 2
    assert missing.output.startswith("newsletter: cannot read ")
