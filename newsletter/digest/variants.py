"""A digest as some readers chose it: their sections, their format, the weeks it covers.

The sender asks for each variant in use the first time a reader of it comes up; the first
rendering is recorded (``digest_variants``) and every later sender, on any machine, sends
the same. Items are those the digests of the covered weeks carried, so a variant never
shows an item its week's digest did not, and never one twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from newsletter.config import FeedConfig, Settings
from newsletter.digest.render import DigestRenderer
from newsletter.digest.weeks import shift_week
from newsletter.errors import StoreError
from newsletter.store import SqlStore
from newsletter.store.digests import DigestEntry, DigestToSend
from newsletter.store.entries import EntryKind
from newsletter.store.preferences import Rendering
from newsletter.subscribers.preferences import EXERCISE, QUESTIONS, Variant, section_key

# A digest covers at most this many weeks: a reader away longer starts from recent news.
MAX_WEEKS = 6


def variant_source(
    settings: Settings, store: SqlStore, offers: Sequence[str] = ()
) -> Callable[[DigestToSend, str], Rendering]:
    """What `run` and `send` hand the sender: a variant's recorded rendering, else a new
    one, recorded once. ``offers``: the titles of the programmes its footer offers."""

    def rendering(digest: DigestToSend, key: str) -> Rendering:
        found = store.digest_variant(digest.id, key)
        if found is not None:
            return found
        rendered = render_variant(settings, store, digest, Variant.decode(key), offers)
        return store.save_digest_variant(digest.id, key, rendered)

    return rendering


def render_variant(
    settings: Settings,
    store: SqlStore,
    digest: DigestToSend,
    variant: Variant,
    offers: Sequence[str] = (),
) -> Rendering:
    built = store.built_digest(digest.week)
    if built is None:
        raise StoreError(f"the digest of {digest.week} is gone")
    since = covered_since(digest.week, variant.since)
    entries = [
        e for e in store.weeks_entries(digest.week, since) if wanted(e, variant.off, settings.feeds)
    ]
    exercise = None
    if EXERCISE not in variant.off and built.exercise_id is not None:
        exercise = next((e for e in store.exercise_catalog() if e.id == built.exercise_id), None)
    earlier = None  # this week alone
    if since is not None and EXERCISE in variant.off:
        earlier = []  # several weeks, but no exercises wanted
    elif since is not None:
        features = store.weeks_features(digest.week, since)
        earlier = [f.exercise_name for f in features if f.week != digest.week and f.exercise_name]
    renderer = DigestRenderer(
        settings,
        digest.week,
        exercise,
        earlier=earlier,
        text_only=variant.format == "text",
        note=built.note,  # the editor's note heads every reader's digest of the week
        offers=offers,
    )
    rendered = renderer.render(entries, len(entries))
    return Rendering(rendered.subject, rendered.html, rendered.text, len(rendered.sections.entries))


def covered_since(week: str, since: str | None) -> str | None:
    """The reader's last week, kept only if within :data:`MAX_WEEKS` of ``week``."""
    if since is None:
        return None
    return max(since, shift_week(week, -MAX_WEEKS))


def wanted(entry: DigestEntry, off: frozenset[str], feeds: Sequence[FeedConfig]) -> bool:
    """Whether an entry is in a section the reader kept. An article of a feed no longer in
    feeds.yaml has no section to turn off, so it stays."""
    if entry.kind == EntryKind.QUESTION:
        return QUESTIONS not in off
    for feed in feeds:
        if feed.name == entry.feed_name:
            return section_key(feed) not in off
    return True
