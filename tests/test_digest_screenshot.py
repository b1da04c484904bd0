"""The golden digest in headless Chromium: phone and desktop widths, light and dark.

The PNGs land in test-artifacts/ (git-ignored) for a person to look at; the assertions
check what a screenshot would show: no sideways scrolling on a phone, the exercise
near the top, a single column of at most 600px, and dark mode actually dark.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from newsletter.digest.compose import web_copy
from tests.support.browser import ARTIFACTS, needs_chromium
from tests.support.digest import BASE_URL

GOLDEN_HTML = Path(__file__).parent / "golden" / "digest-2026-W48.html"
WIDTHS = {"phone": 390, "desktop": 1280}

pytestmark = [needs_chromium, pytest.mark.slow]  # a real browser


def box(page: Any, selector: str) -> dict[str, float]:
    found = page.locator(selector).first.bounding_box()
    assert found is not None, f"{selector} is not on the page"
    return dict(found)


def background(page: Any, selector: str) -> str:
    return str(page.eval_on_selector(selector, "e => getComputedStyle(e).backgroundColor"))


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_the_digest_looks_right(browser: Any, device: str, scheme: str) -> None:
    width = WIDTHS[device]
    page = browser.new_page(viewport={"width": width, "height": 844}, color_scheme=scheme)
    try:
        page.set_content(web_copy(GOLDEN_HTML.read_text(encoding="utf-8"), BASE_URL))
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"digest-{device}-{scheme}.png"), full_page=True)

        assert page.evaluate("document.scrollingElement.scrollWidth") <= width, "no sideways"
        card = box(page, "table.card")
        assert card["width"] <= 600
        assert abs((width - card["width"]) / 2 - card["x"]) <= 1, "centred"
        exercise = box(page, "h1.exercise-name")
        assert exercise["y"] + exercise["height"] < 320, "the exercise is near the top"
        assert box(page, "table.exercise")["width"] >= card["width"] - 2 * 32 - 1
        assert page.locator(".preheader").first.is_hidden()
        excerpt_px = page.eval_on_selector("p.excerpt", "e => getComputedStyle(e).fontSize")
        assert float(excerpt_px.removesuffix("px")) >= 15, "readable on a phone"

        card_colour = background(page, "table.card")
        if scheme == "dark":
            assert card_colour == "rgb(27, 37, 40)"
            assert background(page, "table.exercise") == "rgb(22, 55, 48)"
        else:
            assert card_colour == "rgb(255, 255, 255)"
    finally:
        page.close()
