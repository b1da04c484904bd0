"""The confirmation email in headless Chromium at a phone's width, with word-break and
overflow-wrap turned off the way Yahoo and Outlook on Windows ignore them: nothing scrolls
sideways, and the button is the palette's accent (the site's, the digest's) in either
scheme. The PNG lands in test-artifacts/."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from newsletter.palette import load_palette
from newsletter.templating import default_templates_dir
from tests.support.browser import ARTIFACTS, needs_chromium, rgb
from tests.support.deliverability import confirmation, dkim_site

pytestmark = [needs_chromium, pytest.mark.slow]
PALETTE = load_palette([default_templates_dir()])
NO_BREAKING = "* { word-break: normal !important; overflow-wrap: normal !important; }"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_confirmation_fits_a_phone_without_word_break(
    browser: Any, tmp_path: Path, scheme: str
) -> None:
    # The longest address there is: it must wrap, not widen the page.
    address = "a" * 64 + "@" + "very-long-subdomain-" * 5 + "example.org"
    message = email.message_from_bytes(
        confirmation(dkim_site(tmp_path, None), address), policy=email.policy.default
    )
    assert isinstance(message, EmailMessage)
    html = list(message.iter_parts())[1].get_content()
    page = browser.new_page(viewport={"width": 390, "height": 844}, color_scheme=scheme)
    try:
        page.set_content(html)
        page.add_style_tag(content=NO_BREAKING)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"confirm-phone-{scheme}.png"), full_page=True)
        width = page.evaluate("document.scrollingElement.scrollWidth")
        assert width <= 390, f"{width}px wide: something overflows"
        button = page.locator("td.button").first
        assert button.is_visible()
        colours = PALETTE.dark_all if scheme == "dark" else PALETTE.light
        colour = button.evaluate("e => getComputedStyle(e).backgroundColor")
        assert colour == rgb(colours["accent"]), "the palette's accent"
        link = page.locator("td.button a").first
        assert link.evaluate("e => getComputedStyle(e).color") == rgb(colours["accent-text"])
    finally:
        page.close()
