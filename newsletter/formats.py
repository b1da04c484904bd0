"""The published feeds, declared once (and where the answered questions' pages are).

Every place that lists the feeds loops over :data:`FORMATS`: ``publish`` writes them, the
web app routes and compresses them, the pages link them (``<link rel="alternate">`` and
the footer) and the digest's footer names them. Adding a format is one entry here plus
its renderer (and a test).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FeedFormat:
    key: str  # its name in the pages' links (``links.rss``) and its route's endpoint
    path: str  # below the site's root, where publish writes it and the app serves it
    media_type: str  # without parameters; responses add ``; charset=utf-8``
    title: str  # what readers are shown: "RSS", "Atom", "JSON Feed"
    # "module:function" taking (FeedMeta, items, path) and returning the file's bytes;
    # a name rather than the function, so this module imports nothing and every layer may
    # read it (``publish`` resolves it).
    renderer: str


_PUBLISH = "newsletter.publish."
FORMATS = (
    FeedFormat("rss", "feed.xml", "application/rss+xml", "RSS", _PUBLISH + "xmlfeeds:rss_feed"),
    FeedFormat("atom", "atom.xml", "application/atom+xml", "Atom", _PUBLISH + "xmlfeeds:atom_feed"),
    FeedFormat(
        "json", "feed.json", "application/feed+json", "JSON Feed", _PUBLISH + "jsonfeed:json_feed"
    ),
)
"""The feeds of the latest entries, in the order pages and the digest list them."""


def feed_titles() -> str:
    """The formats as a sentence names them ("RSS, Atom and JSON Feed"): the commands' help."""
    *first, last = (f.title for f in FORMATS)
    return f"{', '.join(first)} and {last}" if first else last


DIGESTS = FeedFormat("digests", "archive/feed.xml", "application/rss+xml", "Past digests", "")
"""The feed of past digests (RSS), rendered by ``publish.archive`` from the digests."""


QUESTIONS = "questions/"
"""Where the answered questions' pages are, below the site's root (``publish`` writes
``questions/N.html``, the app serves ``/questions/N``, the feeds and the asker's email link
there)."""


def question_path(question_id: int) -> str:
    """An answered question's page, below the base URL."""
    return f"{QUESTIONS}{question_id}"
