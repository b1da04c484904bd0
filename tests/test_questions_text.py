"""Cleaning what a stranger typed: pure functions."""

from __future__ import annotations

import pytest

from newsletter.html_text import clean_line as one_line
from newsletter.html_text import html_to_paragraphs as to_text
from newsletter.html_text import paragraphs
from newsletter.questions.text import to_html


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  Shin   splints\tagain \n", "Shin splints again"),
        ("Red\x1b[31m alert\x07", "Red[31m alert"),  # no escape sequence reaches a terminal
        ("evil\u202egnp.exe", "evilgnp.exe"),  # no bidi override
        ("line\u2028break", "linebreak"),
        ("Cafe\u0301", "Café"),  # NFC: one code point
        ("\x85nel\x9b", "nel"),  # C1 controls
    ],
)
def test_one_line(raw: str, clean: str) -> None:
    assert one_line(raw) == clean


def test_paragraphs_keep_breaks_and_drop_runs_of_blank_lines() -> None:
    raw = "\r\n  First line  \r\nsecond\r\n\r\n\r\n\r\nThird\t para\x00\n\n\n"
    assert paragraphs(raw) == "First line\nsecond\n\nThird  para"


def test_to_html_escapes_everything_and_makes_paragraphs() -> None:
    text = 'Is 5<10 km? <script>alert("x")</script>\nNew line & more\n\nSecond'
    assert to_html(text) == (
        "<p>Is 5&lt;10 km? &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;<br>"
        "New line &amp; more</p><p>Second</p>"
    )


def test_to_text_reverses_to_html() -> None:
    text = "One <b>\nTwo & three\n\nFour"
    assert to_text(to_html(text)) == text


def test_to_text_cleans_a_feeds_html_too() -> None:
    fragment = "<p>Hi <em>there</em></p><ul><li>a\x1b[2J</li><li>b</li></ul>&amp; bye"
    assert to_text(fragment) == "Hi there\n\na[2J\nb\n\n& bye"
