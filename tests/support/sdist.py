"""A package's source distribution from PyPI, for the acceptance tests that run over a
library's own test corpus: downloaded with pip once into ~/.cache/newsletter-tests (never
committed); the test skips, saying so, only when PyPI is unreachable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "newsletter-tests"


def sdist(requirement: str, filename: str) -> Path:
    """``filename`` in the cache, downloaded as ``requirement`` (name==version) if missing."""
    archive = CACHE / filename
    if archive.exists():
        return archive
    CACHE.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
    command += ["--no-binary", ":all:", requirement, "-d", str(CACHE)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    if done.returncode != 0 or not archive.exists():
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        pytest.skip(f"cannot download {requirement} from PyPI: {last[:200]}")
    return archive
