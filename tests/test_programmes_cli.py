"""The programmes commands: list the site's programmes, preview a step; no database."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from newsletter.cli import cli
from newsletter.programmes.file import default_programmes_path
from tests.support.digest import BASE_URL, site_settings
from tests.support.yaml_files import write_yaml


def newsletter(config: Path, *args: str) -> Result:
    environ = {"NEWSLETTER_BASE_URL": BASE_URL}
    return CliRunner().invoke(cli, ["--config", str(config), *args], env=environ)


def test_list_names_each_programme_and_its_steps(tmp_path: Path) -> None:
    config = site_settings(tmp_path).config_path
    said = newsletter(config, "programmes", "list")
    assert said.exit_code == 0, said.output
    lines = said.output.splitlines()
    assert lines[:3] == [
        f"1 programme(s) in {default_programmes_path()}",
        "",
        "stronger-feet: Stronger feet in 11 weeks (11 steps)",
    ]
    assert lines[3] == "   1  day 0     toe-tapping: 3 sets of 10 to 15 lifts; once or twice a week"
    assert lines[13].startswith("  11  +7 days   eccentric-heel-drops: 3 sets of 15 on each leg")
    assert len(lines) == 14


def test_a_site_without_programmes_and_a_wrong_file(tmp_path: Path) -> None:
    config = site_settings(tmp_path).config_path
    path = write_yaml(tmp_path / "programmes.yaml", "programmes: []\n")
    assert newsletter(config, "programmes", "list").output == f"0 programme(s) in {path}\n"
    write_yaml(path, "programmes:\n  - key: feet\n    title: Feet\n")
    wrong = newsletter(config, "programmes", "list")
    assert wrong.exit_code == 2
    assert wrong.stderr == (
        f"newsletter: {path}:2: a programme is missing 'summary'; add 'summary: …'\n"
    )


def test_preview_writes_a_step_for_a_browser(tmp_path: Path) -> None:
    config = site_settings(tmp_path).config_path
    html = newsletter(config, "programmes", "preview", "stronger-feet", "--step", "11")
    assert html.exit_code == 0, html.output
    assert "Eccentric heel drops</h1>" in html.stdout and "%%" not in html.stdout
    assert f'href="{BASE_URL}archive/"' in html.stdout
    assert html.stderr == (
        "preview of stronger-feet step 11: "
        "Stronger feet in 11 weeks, week 11: Eccentric heel drops\n"
    )
    out = tmp_path / "step.txt"
    text = newsletter(config, "programmes", "preview", "stronger-feet", "--text", "--out", str(out))
    assert text.output == (
        f"preview of stronger-feet step 1 written to {out}: "
        "Stronger feet in 11 weeks, week 1: Toe tapping\n"
    )
    assert out.read_text().startswith("Best Running Tips: Stronger feet in 11 weeks, week 1 of 11")


def test_preview_of_what_is_not_there_is_one_line(tmp_path: Path) -> None:
    config = site_settings(tmp_path).config_path
    unknown = newsletter(config, "programmes", "preview", "feet")
    assert unknown.exit_code == 2
    assert unknown.stderr == (
        "newsletter: no programme 'feet'; the site's programmes: stronger-feet\n"
    )
    beyond = newsletter(config, "programmes", "preview", "stronger-feet", "--step", "12")
    assert beyond.exit_code == 2
    assert "has 11 step(s); ask for one from 1 to 11" in beyond.stderr
    zero = newsletter(config, "programmes", "preview", "stronger-feet", "--step", "0")
    assert zero.exit_code == 2 and "0 is not in the range x>=1" in zero.stderr
