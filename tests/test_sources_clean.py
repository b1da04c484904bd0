"""Cleaning: what leaves sources/ must be XML-safe, and its HTML must not be able to act."""

from __future__ import annotations

import re

import pytest

from newsletter.html_text import plain_text, xml_safe
from newsletter.sources.clean import (
    absolute_url,
    drop_invalid_char_refs,
    safe_html,
    text_to_html,
)

BASE = "https://example.com/blog/post.html"
# Anything here in sanitized HTML could run code, load a frame or submit a form.
ACTIVE = re.compile(
    r"<script|<style|<iframe|<form|<input|<object|<embed|<meta|<svg|<math|<link|<base"
    r"|\son\w+\s*=|javascript:|vbscript:|data:",
    re.I,
)


def test_xml_safe_removes_what_xml_cannot_carry() -> None:
    assert xml_safe("a\x00b\x0bc\x0cd\x1fe\ud800f\udfffg\ufffeh\uffffi") == "abcdefghi"


def test_xml_safe_keeps_tab_newline_and_all_real_characters() -> None:
    text = "tab\there\nline\r\nCafé 🎉 \u00a0\x7f\ufffd"
    assert xml_safe(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a&#xD800;b", "ab"),
        ("a&#55296;b", "ab"),
        ("a&#0;b&#x0B;c", "abc"),
        ("a&#xFFFE;b", "ab"),
        ("&#233;&#x1F389;&#10;&#xe9;", "&#233;&#x1F389;&#10;&#xe9;"),  # valid ones stay
        ("&#x110000;", ""),  # beyond Unicode
    ],
)
def test_drop_invalid_char_refs(text: str, expected: str) -> None:
    assert drop_invalid_char_refs(text) == expected


@pytest.mark.parametrize(
    ("value", "is_html", "expected"),
    [
        ("A <b>bold</b> &amp; brave\n  title", True, "A bold & brave title"),
        ("Caf&eacute; &lt;3", True, "Café <3"),
        ("x <script>alert(1)</script>y", True, "x y"),
        ("x < y & z", False, "x < y & z"),
        ("nul\x00 and\x0bvt", False, "nul andvt"),
        ("   ", True, ""),
    ],
)
def test_plain_text(value: str, is_html: bool, expected: str) -> None:
    assert plain_text(value, is_html=is_html) == expected


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "&#106;avascript:alert(1)",
        "&#x6A;avascript:alert(1)",
        " java&#x09;script:alert(1)",
        "java\nscript:alert(1)",
        "vbscript:msgbox(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "DATA:text/html,x",
    ],
)
def test_dangerous_links_are_removed(link: str) -> None:
    cleaned = safe_html(f'<a href="{link}">x</a><img src="{link}">', BASE)
    assert "href" not in cleaned
    assert "src" not in cleaned
    assert not ACTIVE.search(cleaned)


def test_active_elements_and_handlers_are_removed() -> None:
    hostile = (
        '<p onclick="a()">t</p><img src="x.png" onerror="a()"><script>a()</script>'
        "<style>p{}</style><iframe src='https://e.example'></iframe><form><input></form>"
        '<object data="x"></object><embed src="x"><meta http-equiv="refresh" content="0">'
        '<svg onload="a()"></svg><math></math><link rel="stylesheet" href="x.css">'
        '<base href="https://evil.example/"><a href="x" target="_top" style="x">y</a>'
    )
    cleaned = safe_html(hostile, BASE)
    assert not ACTIVE.search(cleaned)
    assert "style=" not in cleaned
    assert "target=" not in cleaned
    assert "a()" not in cleaned


def test_relative_urls_become_absolute_and_links_get_rel() -> None:
    cleaned = safe_html('<a href="../about">a</a> <img src="/i.png"> <a href="#f">f</a>', BASE)
    assert '<a href="https://example.com/about" rel="noopener noreferrer">a</a>' in cleaned
    assert '<img src="https://example.com/i.png">' in cleaned
    assert 'href="https://example.com/blog/post.html#f"' in cleaned


def test_relative_urls_without_a_base_are_dropped() -> None:
    assert safe_html('<a href="rel">x</a>', None) == '<a rel="noopener noreferrer">x</a>'


def test_allowed_markup_survives() -> None:
    html = (
        '<h2>T</h2><p><em>e</em> <strong>s</strong> <a href="mailto:a@b.example">m</a></p>'
        '<table><tbody><tr><td colspan="2">c</td></tr></tbody></table>'
        '<figure><img src="https://x.example/i.png" alt="A" width="10"><figcaption>f'
        "</figcaption></figure><pre><code>x</code></pre><blockquote>q</blockquote>"
    )
    cleaned = safe_html(html, BASE)
    for kept in ("<h2>", "<em>", "<strong>", "mailto:", 'colspan="2"', 'alt="A"', "<figcaption>"):
        assert kept in cleaned


def test_html_output_is_xml_safe() -> None:
    assert safe_html("<p>a\x0bb\x00c</p>", BASE) == "<p>abc</p>"


def test_text_to_html_escapes() -> None:
    assert text_to_html("a < b & <script>") == "a &lt; b &amp; &lt;script&gt;"


@pytest.mark.parametrize(
    ("url", "base", "expected"),
    [
        ("posts/1", "https://e.example/blog/feed", "https://e.example/blog/posts/1"),
        ("https://x.example/a", None, "https://x.example/a"),
        ("javascript:alert(1)", "https://e.example/", None),
        ("file:///etc/passwd", None, None),
        ("relative", None, None),
        ("", "https://e.example/", None),
        (None, "https://e.example/", None),
        ("http://[::1", None, None),
    ],
)
def test_absolute_url(url: str | None, base: str | None, expected: str | None) -> None:
    assert absolute_url(url, base) == expected
