"""The docs can't drift from the code: the README's command table is generated from --help."""

from __future__ import annotations

from pathlib import Path

import click
from cogapp import Cog

from newsletter.cli import cli
from newsletter.cli.reference import command_table

ROOT = Path(__file__).resolve().parent.parent


def test_readme_command_table_is_current() -> None:
    status = Cog().main(["cog", "--check", str(ROOT / "README.md")])
    assert status == 0, "README.md's command table is stale: run `make docs`"


def _leaves(group: click.Group) -> list[click.Command]:
    found: list[click.Command] = []
    for command in group.commands.values():
        if isinstance(command, click.Group):
            found += _leaves(command)
        else:
            found.append(command)
    return found


def test_every_command_has_help_and_a_row() -> None:
    table = command_table()
    for command in _leaves(cli):
        assert (command.help or "").strip(), f"{command.name} has no help text"
        assert f" {command.name}" in table


def test_the_changelog_has_a_dated_section_for_this_version_in_keep_a_changelog_shape() -> None:
    import re

    import newsletter

    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "\n## [Unreleased]\n" in text
    assert re.search(
        rf"\n## \[{re.escape(newsletter.__version__)}\] - \d{{4}}-\d{{2}}-\d{{2}}\n", text
    )
    headings = re.findall(r"^### (.+)$", text, flags=re.M)
    assert set(headings) <= {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}
    # One line a user understands per entry: no entry wraps onto a second line.
    body = text.split("\n## [Unreleased]\n", 1)[1]
    for line in body.splitlines():
        assert not line.startswith("  "), f"an entry wraps: {line!r}"
