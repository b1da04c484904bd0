"""The registry of published feeds: each entry renders, is routed, compressed and linked."""

from __future__ import annotations

from newsletter.formats import DIGESTS, FORMATS
from newsletter.publish.site import FEEDS, renderer
from newsletter.web.compress import compressible


def test_every_format_names_a_renderer_that_exists() -> None:
    for feed in FORMATS:
        assert callable(renderer(feed)), feed.renderer


def test_every_format_is_published_and_compressed() -> None:
    assert (*(feed.path for feed in FORMATS), DIGESTS.path) == FEEDS
    for feed in (*FORMATS, DIGESTS):
        assert compressible(f"{feed.media_type}; charset=utf-8")


def test_keys_and_paths_are_unique() -> None:
    feeds = (*FORMATS, DIGESTS)
    assert len({f.key for f in feeds}) == len({f.path for f in feeds}) == len(feeds)
