"""The one HTML allowlist: what feed HTML may keep, at ingest and again at publish.

Safe in a web page and in the common email clients: nothing that runs, loads a frame,
submits, or styles the page around it. ``sources/clean.py`` applies it on the way in;
``publish/safe.py`` applies it again on the way out (a row can reach the store another way),
and because it is the same policy, cleaning clean HTML again changes nothing. Text out of
HTML, and the characters text must not carry, are ``html_text.py``.
"""

from __future__ import annotations

from typing import Any

TAGS = frozenset(
    {"p", "br", "a", "em", "strong", "b", "i", "u", "ul", "ol", "li", "blockquote", "code"}
    | {"pre", "h2", "h3", "h4", "h5", "h6", "img", "figure", "figcaption", "hr", "span"}
    | {"table", "thead", "tbody", "tr", "th", "td", "sup", "sub", "abbr", "q", "cite"}
    | {"dl", "dt", "dd"}
)
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "abbr": {"title"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
# Removed with their content, not just unwrapped: their text is code or fallback noise.
DROP_WITH_CONTENT = frozenset({"script", "style", "template", "svg", "math", "iframe", "object"})


def nh3_options(url_relative: Any) -> dict[str, Any]:
    """Keyword arguments for ``nh3.clean`` or ``nh3.Cleaner`` applying the policy;
    ``url_relative`` says what to do with relative URLs ("deny", or rewrite with a base)."""
    return {
        "tags": set(TAGS),
        "clean_content_tags": set(DROP_WITH_CONTENT),
        "attributes": {tag: set(names) for tag, names in ATTRIBUTES.items()},
        "url_schemes": set(URL_SCHEMES),
        "link_rel": "noopener noreferrer",
        "strip_comments": True,
        "url_relative": url_relative,
    }
