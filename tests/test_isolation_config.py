"""Every broken feeds.yaml of the corpus is one file:line sentence, never a crash (issue 11).

tests/corpus/config/ holds the inputs that once crashed or exploded (a NUL byte, 10,000
nested '[', tags, nested aliases, unbounded numbers, bad URLs, …); each must give a
ConfigError naming the file and a line. The fuzz target (test_fuzz_config.py) feeds the
loader mutations of the same files.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsletter.cli import cli
from newsletter.config import load_settings, nodes
from newsletter.errors import ConfigError

CORPUS = Path(__file__).parent / "corpus" / "config"
CASES = sorted(CORPUS.glob("*.yaml"))


def refusal(path: Path) -> str:
    with pytest.raises(ConfigError) as refused:
        load_settings(path, {})
    message = str(refused.value)
    assert "\n" not in message and len(message) < 600, message
    assert re.match(rf"{re.escape(str(path.absolute()))}(:\d+)?: ", message), message
    return message


def test_the_corpus_is_there() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_each_broken_config_is_one_sentence_naming_its_line(path: Path) -> None:
    message = refusal(path)
    if path.stem not in ("not-utf8",):
        assert re.search(r":\d+: ", message), "names the line"


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_the_pure_python_loader_refuses_them_too(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where libyaml is missing (deep nesting is a RecursionError there)."""
    import yaml

    monkeypatch.setattr(nodes, "LOADER", yaml.SafeLoader)
    refusal(path)


def test_a_huge_config_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text("# padding\n" * (5 * 1024 * 1024 // 10))
    assert "larger than 1024 KiB" in refusal(path)


def test_a_symlink_loop_is_refused(tmp_path: Path) -> None:
    (tmp_path / "feeds.yaml").symlink_to(tmp_path / "feeds.yaml")
    assert "cannot be read" in refusal(tmp_path / "feeds.yaml")


def test_a_feed_path_in_a_symlink_loop_is_refused(tmp_path: Path) -> None:
    os.symlink(tmp_path / "loop.xml", tmp_path / "loop.xml")
    path = tmp_path / "feeds.yaml"
    path.write_text(
        "site:\n  title: T\n  url: https://www.example.com/\n"
        "newsletter:\n  from: T <t@example.com>\n"
        "feeds:\n  - name: A\n    path: loop.xml\n"
    )
    message = refusal(path)
    assert ":8: path 'loop.xml' cannot be used" in message


def test_parse_workers_are_capped_by_the_cores(tmp_path: Path) -> None:
    cap = min(32, 4 * (os.cpu_count() or 1))
    path = tmp_path / "feeds.yaml"
    base = (
        "site:\n  title: T\n  url: https://www.example.com/\n"
        "newsletter:\n  from: T <t@example.com>\ncollect:\n  parse_workers: {}\nfeeds: []\n"
    )
    path.write_text(base.format(cap))
    assert load_settings(path, {}).collect.parse_workers == cap
    path.write_text(base.format(cap + 1))
    assert f"from 0 to {cap}" in refusal(path)


def test_serve_refuses_a_port_out_of_range(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["serve", "--port", "99999"])
    assert result.exit_code == 2 and "99999" in result.output
