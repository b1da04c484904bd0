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
from newsletter.digest.picture import email_picture
from newsletter.palette import load_palette
from newsletter.templating import default_templates_dir
from tests.support.browser import ARTIFACTS, needs_chromium, rgb
from tests.support.digest import BASE_URL

GOLDEN_HTML = Path(__file__).parent / "golden" / "digest-2026-W48.html"
WIDTHS = {"phone": 390, "desktop": 1280}
PALETTE = load_palette([default_templates_dir()])

pytestmark = [needs_chromium, pytest.mark.slow]  # a real browser


def serve_the_picture(page: Any) -> None:
    """The picture the golden digest links, as the site would serve it (no network here)."""
    picture = email_picture(Path("/nonexistent"), "toe-tapping")  # the shipped catalog
    assert picture is not None
    data = picture.png()
    page.route(
        f"{BASE_URL}{picture.path}",
        lambda route: route.fulfill(status=200, body=data, content_type="image/png"),
    )


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
        serve_the_picture(page)
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
        picture = page.locator("img.picture").first
        assert picture.evaluate("e => [e.naturalWidth, e.width]") == [480, 240], "2x, loaded"
        excerpt_px = page.eval_on_selector("p.excerpt", "e => getComputedStyle(e).fontSize")
        assert float(excerpt_px.removesuffix("px")) >= 15, "readable on a phone"

        # The palette's colours (templates/web/palette.css), the site's own.
        colours = PALETTE.dark_all if scheme == "dark" else PALETTE.light
        assert background(page, "table.card") == rgb(colours["card"])
        assert background(page, "table.exercise") == rgb(colours["accent-soft"])
    finally:
        page.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_with_images_blocked_the_picture_still_says_the_movement(browser: Any, scheme: str) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844}, color_scheme=scheme)
    try:
        page.route("**/*.png", lambda route: route.abort())  # what a client blocking images does
        page.set_content(web_copy(GOLDEN_HTML.read_text(encoding="utf-8"), BASE_URL))
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"digest-blocked-{scheme}.png"))
        picture = page.locator("img.picture").first
        assert picture.evaluate("e => e.naturalWidth") == 0, "not loaded"
        assert "lifts the toes" in str(picture.get_attribute("alt"))
        # The alt text is drawn in the scheme's text colour on its card: readable.
        colours = PALETTE.dark_all if scheme == "dark" else PALETTE.light
        assert picture.evaluate("e => getComputedStyle(e).color") == rgb(colours["text"])
        text = page.inner_text("table.exercise")
        assert "Toe tapping" in text and "Sit on a chair" in text and "Strengthens" in text
    finally:
        page.close()
