"""Site files written for a test, and the one-line refusal a mistake in one gets.

No tests here."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from newsletter.errors import ConfigError


def write_yaml(path: Path, text: str) -> Path:
    """``text``, dedented, as the file ``path``."""
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def refusal(load: Callable[[], object], path: Path, line: int) -> str:
    """What ``load`` says of line ``line`` of ``path`` (a usage error, exit status 2)."""
    with pytest.raises(ConfigError) as caught:
        load()
    said = str(caught.value)
    assert said.startswith(f"{path}:{line}: "), said
    assert caught.value.exit_code == 2
    return said.removeprefix(f"{path}:{line}: ")
