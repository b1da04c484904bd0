"""Headless Chromium for the browser tests: Debian's chromium, driven by Playwright.

Playwright cannot download its own browser here, so it launches /usr/bin/chromium (CI's
.ci/run installs it) with the flags this closed network needs. Tests that use the
``browser`` fixture of conftest.py skip, saying why, only when the binary is absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parents[1] / "test-artifacts"  # screenshots, git-ignored
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    # Without these, Chromium's background connections are refused by the closed network.
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="no /usr/bin/chromium (apt-get install chromium; CI installs it)",
)


def rgb(colour: str) -> str:
    """#rrggbb as getComputedStyle writes it."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"
