"""`subscribers export` never writes a cell a spreadsheet would run (CSV formula injection),
and what it writes imports back as it was (issue 11)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from click.testing import CliRunner, Result

from newsletter.cli import cli
from newsletter.store import SqlStore
from newsletter.subscribers.csvio import read_rows
from tests.support.send import site

HOSTILE = [
    "=cmd|'/Ccalc'!A0@example.com",
    "+1-800@example.com",
    "-2+3@example.com",
    "'=x@example.org",  # the escape itself, which must come back as it was (issue 24, item 10)
]


def test_formula_cells_are_escaped_and_read_back(
    database_url: str, store: SqlStore, tmp_path: Path
) -> None:
    _, env = site(tmp_path / "site", None, database_url)
    config = str(tmp_path / "site" / "feeds.yaml")

    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, ["--config", config, *args], env=env)

    added = run("subscribers", "add", "--confirmed", "--", *HOSTILE, "plain@example.com")
    assert added.exit_code == 0, added.output
    names = tmp_path / "names.csv"
    names.write_text('email,name\nann@example.org,@SUM(1+1)\nbob@example.org,"=1+2"\n')
    assert run("subscribers", "import", str(names)).exit_code == 0
    exported = run("subscribers", "export")
    assert exported.exit_code == 0, exported.output
    rows = list(csv.reader(io.StringIO(exported.output)))
    cells = [cell for row in rows for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")], cells
    assert "'=cmd|'/Ccalc'!A0@example.com" in cells

    read = {row.address.email: row.name for row in read_rows(io.StringIO(exported.output))}  # type: ignore[union-attr]
    assert sorted(read) == sorted(
        [*HOSTILE, "plain@example.com", "ann@example.org", "bob@example.org"]
    )
    assert read["ann@example.org"] == "@SUM(1+1)" and read["bob@example.org"] == "=1+2"
