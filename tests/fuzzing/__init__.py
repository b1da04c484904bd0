"""Fuzzing and property tests (issue 11): how many examples each runs.

Brief by default so `make test` stays fast; ``NEWSLETTER_TEST_FUZZ_EXAMPLES=N`` (what
`make fuzz` sets) makes every target run N examples. The Hypothesis database is off:
the corpus under tests/corpus/ is the checked-in memory of what once failed.
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, settings

_ASKED = int(os.environ.get("NEWSLETTER_TEST_FUZZ_EXAMPLES", "0") or 0)


def fuzz_settings(default: int, most: int | None = None, **more: Any) -> settings:
    """Settings for one property: ``default`` examples unless more are asked for (up to
    ``most``, for a property whose every example takes seconds)."""
    examples = _ASKED or default
    return settings(
        max_examples=min(examples, most) if most else examples,
        deadline=None,  # a loaded machine is not a failure
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        **more,
    )


ACTIVE_TAGS = frozenset(
    {"script", "style", "iframe", "frame", "object", "embed", "form", "input", "meta",
     "link", "base", "svg", "math", "applet", "button", "textarea", "select"}
)  # fmt: skip


def active_markup(fragment: str) -> str | None:
    """The first active thing in an HTML fragment (a script-capable element, an on*
    attribute, a javascript:/vbscript:/data: URL), or None when it is inert. Parsed, not
    grepped: the text "onclick=" in a paragraph is harmless."""
    from html.parser import HTMLParser

    found: list[str] = []

    class Finder(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag in ACTIVE_TAGS:
                found.append(f"<{tag}>")
            for name, value in attrs:
                url = "".join((value or "").split()).lower()
                if name.startswith("on") or url.startswith(("javascript:", "vbscript:", "data:")):
                    found.append(f"<{tag} {name}={value!r}>")

    finder = Finder(convert_charrefs=True)
    finder.feed(fragment)
    finder.close()
    return found[0] if found else None
