"""Publish: read the store, render every file, write the ones that changed, ping the hub."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import newsletter.publish.archive as archive
import newsletter.publish.exercise_pages as exercise_pages
import newsletter.publish.questions as question_pages
from newsletter.assets import TYPES as ASSET_TYPES
from newsletter.assets import read_asset
from newsletter.config import Newsletter, Settings, Site
from newsletter.digest.catalog import catalog_path
from newsletter.digest.picture import email_pictures
from newsletter.digest.release import released
from newsletter.formats import DIGESTS, FORMATS, FeedFormat
from newsletter.pictures.png import split_name
from newsletter.publish.files import (
    PublishError,
    ensure_folder,
    remove_stale_temporaries,
    write_if_changed,
    write_if_missing,
)
from newsletter.publish.items import (
    FeedItem,
    FeedMeta,
    entries_updated,
    feed_items,
    feed_meta,
    newest,
)
from newsletter.sources.websub import HubPingError, ping_hub
from newsletter.store import SqlStore
from newsletter.store.digests import DigestSummary
from newsletter.store.entries import PublishedEntry

FEEDS = (*(f.path for f in FORMATS), DIGESTS.path)
INDEX_NAME = "archive/index.html"


@dataclass
class PublishReport:
    out_dir: Path
    at: datetime | None = None
    entries: int = 0
    digests: int = 0
    written: list[str] = field(default_factory=list)  # paths relative to out_dir
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # pages of questions no longer answered
    pinged: list[str] = field(default_factory=list)  # feed URLs the hub was told about
    problems: list[str] = field(default_factory=list)  # one sentence each; never fatal

    def summary(self) -> str:
        text = (
            f"published {_count(self.entries, 'entry', 'entries')} and "
            f"{_count(self.digests, 'digest')} to {self.out_dir}: "
            f"{_count(len(self.written), 'file')} written, {len(self.unchanged)} unchanged"
        )
        if self.pinged:
            text += f"; WebSub hub notified of {_count(len(self.pinged), 'feed')}"
        return text

    def as_dict(self) -> dict[str, Any]:
        return {
            "out_dir": str(self.out_dir),
            "at": self.at.isoformat() if self.at else None,
            "entries": self.entries,
            "digests": self.digests,
            "written": list(self.written),
            "unchanged": list(self.unchanged),
            "removed": list(self.removed),
            "pinged": list(self.pinged),
            "problems": list(self.problems),
        }


def publish_site(
    settings: Settings, store: SqlStore, now: datetime, out_dir: Path | None = None
) -> PublishReport:
    """Write the feeds and the archive to ``out_dir`` (default: the site's public/).

    ``now`` goes into the report only: no file ever contains it, so an unchanged store
    gives byte-identical files, and those are not rewritten.
    """
    out = out_dir if out_dir is not None else settings.root / "public"
    report = PublishReport(out_dir=out, at=now)
    ensure_folder(out)  # before the store is read: a wrong --out fails fast
    remove_stale_temporaries(out, now)
    entries = store.latest_entries(settings.site.feed_items)
    digests = released(store.digest_summaries(), now, settings.newsletter)
    report.entries, report.digests = len(entries), len(digests)
    files = entry_feeds(settings.site, settings.env.base_url, entries)
    files[archive.FEED_NAME] = archive.digests_feed(settings.site, settings.env.base_url, digests)
    files[INDEX_NAME] = archive.index_page(settings, digests)
    for name, data in files.items():
        _write(report, out, name, data)
    for digest in digests:
        found = store.archived_digest(digest.week) if archive.is_week(digest.week) else None
        if found is not None:
            page = archive.digest_page(settings, found, digests)
            _write(report, out, archive.page_name(digest.week), page)
    features = released(store.features(), now, settings.newsletter)
    entries_of = exercise_pages.shown_exercises(
        settings.root, settings.newsletter.send_on, store.exercise_catalog(), features
    )
    _write(
        report, out, exercise_pages.INDEX_NAME, exercise_pages.exercises_index(settings, entries_of)
    )
    for entry in entries_of:
        page = exercise_pages.exercise_page(settings, entry)
        _write(report, out, exercise_pages.page_name(entry.slug), page)
    _write_question_pages(settings, store, report, out)
    pictures = email_pictures(settings.root)
    for picture in (pictures[e.slug] for e in entries_of if e.slug in pictures):
        # The digest links these by absolute URL: drawn once, at the first publish after
        # a picture changes (run publishes before it sends).
        written = write_if_missing(out / picture.path, picture.png)
        (report.written if written else report.unchanged).append(picture.path)
    for name, data in static_files(settings.root).items():
        _write(report, out, name, data)
    _notify_hub(settings.site.websub_hub, settings.env.base_url, report)
    return report


def _write_question_pages(
    settings: Settings, store: SqlStore, report: PublishReport, out: Path
) -> None:
    """A page per answered question; the page of one rejected or whose answer was withdrawn
    since goes, so the app stops serving it from the file."""
    kept = set()
    for entry in store.answered_questions():
        name = question_pages.file_name(entry.id)
        _write(report, out, name, question_pages.question_page(settings, entry))
        kept.add(name)
    for path in sorted((out / question_pages.FOLDER).glob("*.html")):
        name = question_pages.FOLDER + path.name
        if name not in kept:
            try:
                path.unlink()
            except FileNotFoundError:
                continue  # another publish removed it
            except OSError as exc:
                raise PublishError(f"cannot remove {path}: {exc.strerror or exc}") from None
            report.removed.append(name)


def static_files(root: Path) -> dict[str, bytes]:
    """The stylesheet and icons the pages link (``../static/site.css?v=…``): with them, the
    published folder looks the same opened from disk or served by any web server as it
    does through the app."""
    found = (read_asset(root, name) for name in ASSET_TYPES)
    return {f"static/{asset.name}": asset.data for asset in found if asset is not None}


def entry_feeds(site: Site, base_url: str, entries: Sequence[PublishedEntry]) -> dict[str, bytes]:
    """Every feed of :data:`~newsletter.formats.FORMATS` of ``entries`` (newest first)."""
    return {f.path: _render(f, site, base_url, entries) for f in FORMATS}


def _render(
    feed: FeedFormat, site: Site, base_url: str, entries: Sequence[PublishedEntry]
) -> bytes:
    meta = feed_meta(site, base_url, entries_updated(entries))
    return renderer(feed)(meta, feed_items(entries, site.url, base_url), feed.path)


def renderer(feed: FeedFormat) -> Callable[[FeedMeta, Sequence[FeedItem], str], bytes]:
    """The function ``feed.renderer`` names."""
    module, function = feed.renderer.split(":")
    found: Callable[[FeedMeta, Sequence[FeedItem], str], bytes]
    found = getattr(importlib.import_module(module), function)
    return found


@dataclass(frozen=True)
class RenderedFile:
    """A file as ``publish_site`` would write it, and when its content last changed."""

    data: bytes
    updated: datetime


def render_feed(settings: Settings, store: SqlStore, name: str, now: datetime) -> RenderedFile:
    """One feed of :data:`FEEDS`, straight from the store (for the web app)."""
    if name == DIGESTS.path:
        digests = released(store.digest_summaries(), now, settings.newsletter)
        updated = newest(d.built_at for d in digests[: settings.site.feed_items])
        return RenderedFile(
            archive.digests_feed(settings.site, settings.env.base_url, digests), updated
        )
    entries = store.latest_entries(settings.site.feed_items)
    (feed,) = (f for f in FORMATS if f.path == name)
    rendered = _render(feed, settings.site, settings.env.base_url, entries)
    return RenderedFile(rendered, entries_updated(entries))


def render_archive_index(settings: Settings, store: SqlStore, now: datetime) -> RenderedFile:
    digests = released(store.digest_summaries(), now, settings.newsletter)
    return RenderedFile(archive.index_page(settings, digests), _archive_updated(digests))


def render_archive_page(
    settings: Settings, store: SqlStore, week: str, now: datetime
) -> RenderedFile | None:
    digests = released(store.digest_summaries(), now, settings.newsletter)
    if not any(d.week == week for d in digests):  # unknown, or not mailed yet
        return None
    found = store.archived_digest(week) if archive.is_week(week) else None
    if found is None:
        return None
    return RenderedFile(archive.digest_page(settings, found, digests), _archive_updated(digests))


def render_exercise_page(
    settings: Settings, store: SqlStore, slug: str, now: datetime
) -> RenderedFile | None:
    """An exercise's page, or None for a slug that has none."""
    if not exercise_pages.is_slug(slug):
        return None
    entry = next(
        (
            e
            for e in _shown_exercises(settings.root, settings.newsletter, store, now)
            if e.slug == slug
        ),
        None,
    )
    if entry is None:
        return None
    updated = _archive_updated(released(store.digest_summaries(), now, settings.newsletter))
    return RenderedFile(exercise_pages.exercise_page(settings, entry), updated)


def render_exercises_index(settings: Settings, store: SqlStore, now: datetime) -> RenderedFile:
    shown = _shown_exercises(settings.root, settings.newsletter, store, now)
    updated = _archive_updated(released(store.digest_summaries(), now, settings.newsletter))
    return RenderedFile(exercise_pages.exercises_index(settings, shown), updated)


def render_question_page(
    settings: Settings, store: SqlStore, question_id: int
) -> RenderedFile | None:
    """An answered question's page, or None when it is not (or no longer) answered."""
    found = store.answered_questions(question_id)
    if not found:
        return None
    (entry,) = found
    updated = max(entry.changed_at, entry.published_at)
    return RenderedFile(question_pages.question_page(settings, entry), newest([updated]))


def render_picture(root: Path, name: str) -> RenderedFile | None:
    """The PNG ``archive/exercises/<name>`` as publish writes it, or None when ``name``
    is not the current picture of an exercise (an older one lives only where publish
    wrote it)."""
    found = split_name(name)
    picture = email_pictures(root).get(found[0]) if found else None
    if found is None or picture is None or picture.digest != found[1]:
        return None
    updated = datetime.fromtimestamp(int(catalog_path(root).stat().st_mtime), UTC)
    return RenderedFile(picture.png(), updated)


def _shown_exercises(
    root: Path, newsletter: Newsletter, store: SqlStore, now: datetime
) -> list[exercise_pages.ExerciseEntry]:
    """The exercise pages, with only the weeks already mailed (as publish writes them)."""
    features = released(store.features(), now, newsletter)
    return exercise_pages.shown_exercises(
        root, newsletter.send_on, store.exercise_catalog(), features
    )


def _archive_updated(digests: Sequence[DigestSummary]) -> datetime:
    # A new digest changes every page that lists or links digests; the ETag (the bytes'
    # hash) tells a browser about any other change.
    return newest(d.built_at for d in digests)


def _count(number: int, one: str, many: str | None = None) -> str:
    return f"{number} {one if number == 1 else many or one + 's'}"


def _write(report: PublishReport, out: Path, name: str, data: bytes) -> None:
    written = write_if_changed(out / name, data)
    (report.written if written else report.unchanged).append(name)


def _notify_hub(hub: str | None, base_url: str, report: PublishReport) -> None:
    topics = [base_url + name for name in FEEDS if name in report.written]
    if not hub or not topics:
        return
    try:
        ping_hub(hub, topics)
    except HubPingError as exc:
        report.problems.append(str(exc))
    else:
        report.pinged.extend(topics)
