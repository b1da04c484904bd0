"""Golden files: what a renderer wrote, byte for byte, kept in tests/golden/.

After an intended change, rewrite them with ``UPDATE_GOLDEN=1 pytest TEST_FILE`` and
review the diff like code. No tests here."""

from __future__ import annotations

import os
import re
from pathlib import Path

from newsletter.digest.compose import UNSUBSCRIBE_PLACEHOLDER
from newsletter.mail.message import PREFERENCES_PLACEHOLDER

GOLDEN = Path(__file__).parents[1] / "golden"


def assert_golden(name: str, rendered: str) -> None:
    """``rendered`` is the file tests/golden/``name``, or (with UPDATE_GOLDEN set) becomes it."""
    golden = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.mkdir(exist_ok=True)
        golden.write_bytes(rendered.encode("utf-8"))
    assert golden.is_file(), f"{golden} is missing; write it with UPDATE_GOLDEN=1"
    assert rendered.encode("utf-8") == golden.read_bytes(), (
        f"the rendered email differs from {golden.name}; if intended, rerun with "
        "UPDATE_GOLDEN=1 and review the diff"
    )


def assert_built_for_mail_clients(html: str, text: str) -> None:
    """What every reader's email's HTML (as sent, site links filled in) must be: light and
    dark, one column Outlook keeps, a hidden preheader, its CSS inlined but the @media
    rules, every image described, every link absolute but the reader's own two, which are
    there once each (and the unsubscribe link once in the text), but for the preferences
    page's sections (the digest's "Start …" of a programme: its #programme)."""
    assert '<meta name="color-scheme" content="light dark">' in html
    assert "@media (prefers-color-scheme: dark)" in html
    assert "max-width: 600px" in html and "<!--[if mso]>" in html
    assert re.search(r'<div class="preheader" style="[^"]*display: none;[^"]*">\S', html)
    links = re.findall(r'href="([^"]*)"', html)
    personal = (UNSUBSCRIBE_PLACEHOLDER, PREFERENCES_PLACEHOLDER)
    others = [link for link in links if link.partition("#")[0] not in personal]
    assert all(re.match(r"https?://", link) for link in others)
    assert links.count(PREFERENCES_PLACEHOLDER) == 1
    assert links.count(UNSUBSCRIBE_PLACEHOLDER) == 1
    assert text.count(UNSUBSCRIBE_PLACEHOLDER) == 1
    assert all(re.search(r'\balt="', img) for img in re.findall(r"<img\b[^>]*>", html))
    styles = re.findall(r"<style[^>]*>", html.replace("<!--[if mso]><style>", ""))
    assert styles == ['<style data-css-inline="keep">'], "CSS inlined; the @media rules stay"
