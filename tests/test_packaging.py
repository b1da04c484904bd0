"""The release as a site owner installs it (issue 19, item 1): `python -m build` makes a
wheel and an sdist named newsletter-digest that `twine check` passes; the wheel, installed
into a fresh venv, gives the `newsletter` command, whose `init` points to the deployment
guide inside the installed package, and whose `run` works on the starter site."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import newsletter

ROOT = Path(__file__).parents[1]
pytestmark = pytest.mark.slow


def _run(*command: str | Path, cwd: Path | None = None, **env: str) -> str:
    # The installed wheel must be what runs: no NEWSLETTER_* setting, no checkout on the path.
    environ = {
        k: v for k, v in os.environ.items() if not k.startswith("NEWSLETTER_") and k != "PYTHONPATH"
    }
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env={**environ, **env},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, (command, result.stdout[-2000:], result.stderr[-2000:])
    return result.stdout


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    _run(sys.executable, "-m", "build", "--outdir", out, ROOT)
    return out


def test_the_wheel_and_sdist_are_named_for_the_index_and_pass_twine(dist: Path) -> None:
    names = sorted(p.name for p in dist.iterdir())
    version = newsletter.__version__
    assert names == [
        f"newsletter_digest-{version}-py3-none-any.whl",
        f"newsletter_digest-{version}.tar.gz",
    ]
    _run(sys.executable, "-m", "twine", "check", "--strict", *sorted(dist.iterdir()))
    with zipfile.ZipFile(next(dist.glob("*.whl"))) as wheel:
        files = set(wheel.namelist())
        guides = {name: wheel.read(name).decode() for name in files if name.endswith(".md")}
    for needed in (
        "newsletter/_data/deployment.md",  # what `init` points a pip user to
        "newsletter/_data/exercises.yaml",
        "newsletter/_data/programmes.yaml",
        "newsletter/_migrations/env.py",
        "newsletter/_templates/email/digest.html",
        "newsletter/_templates/email/programme_step.html",
    ):
        assert needed in files, needed
    # A guide's link to another guide is in the wheel (the screenshots stay in the repository).
    links = [
        (name, target)
        for name, text in guides.items()
        for target in re.findall(r"\]\(([\w-]+\.md)[#)]", text)
    ]
    assert ("newsletter/_data/deployment.md", "programmes.md") in links
    assert [link for link in links if f"newsletter/_data/{link[1]}" not in files] == []


def test_the_installed_wheel_inits_and_runs_a_site(dist: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", venv)
    _run(venv / "bin" / "python", "-m", "pip", "install", "--quiet", next(dist.glob("*.whl")))
    site = tmp_path / "site"
    said = _run(venv / "bin" / "newsletter", "init", site)
    guide = next(line.strip() for line in said.splitlines() if line.strip().endswith(".md"))
    assert Path(guide).is_file() and Path(guide).is_relative_to(venv), guide
    assert "Deploying newsletter" in Path(guide).read_text(encoding="utf-8")
    ran = _run(venv / "bin" / "newsletter", "run", cwd=site, NEWSLETTER_OUTBOX="outbox")
    assert "collected 1 feed(s)" in ran, ran
