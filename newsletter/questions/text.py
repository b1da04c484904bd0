"""A reader's text, made safe to keep, show and publish. Pure functions, no I/O.

What a stranger types reaches three places: the feeds (as HTML), the digest (as HTML and
text) and the moderator's terminal. So it is cleaned once on the way in (``clean_line``
and ``paragraphs`` of :mod:`newsletter.html_text`: Unicode NFC, no control characters, no
bidirectional overrides), and the body becomes HTML by escaping, never by trusting.
"""

from __future__ import annotations

import html


def to_html(text: str) -> str:
    """Plain text as HTML: a paragraph per blank-line-separated block, ``<br>`` for a line
    break, everything else escaped (so ``<script>`` arrives as text)."""
    blocks = [block for block in text.split("\n\n") if block.strip()]
    return "".join(f"<p>{html.escape(block).replace(chr(10), '<br>')}</p>" for block in blocks)
