"""The console's digest page: the next digest as readers will get it, the editor's note
that heads it, the exercise rotation with a way to pin a week, a test sent to the signed-in
owner, and past digests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from newsletter.config import Settings
from newsletter.digest import feature_exercise, preview_digest
from newsletter.digest.build import Preview
from newsletter.digest.exercises import Overview, exercise_overview
from newsletter.digest.note import save_note
from newsletter.digest.weeks import current_week, send_time, shift_week
from newsletter.html_text import has_visible
from newsletter.mail.transport import transport_factory
from newsletter.mail.trial import send_test_digest
from newsletter.programmes.readers import offer_titles
from newsletter.store import SqlStore

PHONE_WIDTH = 390
DESKTOP_WIDTH = 700


@dataclass(frozen=True)
class NextDigest:
    week: str
    send_at: datetime  # UTC
    preview: Preview


def next_week(timezone: str, store: SqlStore, now: datetime) -> str:
    """The week whose digest goes out next (weeks in the site's ``timezone``): this one,
    unless it is built already."""
    week = current_week(now, timezone)
    if store.built_digest(week) is not None:
        return shift_week(week, 1)
    return week


def next_digest(settings: Settings, store: SqlStore, now: datetime) -> NextDigest:
    week = next_week(settings.newsletter.timezone, store, now)
    when = send_time(week, settings.newsletter.send_on, settings.newsletter.timezone)
    offers = offer_titles(settings.root)
    return NextDigest(week, when, preview_digest(settings, store, now, week, offers))


def rotation(root: Path, timezone: str, store: SqlStore, now: datetime) -> Overview:
    return exercise_overview(root, timezone, store, now)


def pin(root: Path, timezone: str, store: SqlStore, slug: str, week: str, now: datetime) -> str:
    pinned_week, exercise = feature_exercise(root, timezone, store, slug, now, week)
    return f"{pinned_week} will feature {exercise.name}"


def send_test(settings: Settings, store: SqlStore, to: str, now: datetime) -> str:
    """The next digest to ``to`` only; no delivery row is written."""
    shown = next_digest(settings, store, now).preview
    transport = transport_factory(settings.env.smtp_url, settings.env.outbox)()
    sender = settings.newsletter.sender
    send_test_digest(sender, to, shown.subject, shown.text, shown.html, now, transport)
    return f"a test of {shown.week} was sent to {to}"


@dataclass(frozen=True)
class NoteChange:
    said: str  # the console's notice
    done: str | None  # the activity log's words; None when nothing changed
    week: str  # the digest the note heads (or would have)


def write_note(timezone: str, store: SqlStore, text: str, by: str, now: datetime) -> NoteChange:
    """Keep the note for the next digest (an empty one removes it). InvalidNote when it
    is too long."""
    if not has_visible(text):
        return remove_note(timezone, store, now)
    save_note(store, text, by, now)
    week = next_week(timezone, store, now)
    said = f"note saved: it heads digest {week} when it is built"
    return NoteChange(said, "wrote the note", week)


def remove_note(timezone: str, store: SqlStore, now: datetime) -> NoteChange:
    week = next_week(timezone, store, now)
    if not store.clear_editor_note():
        return NoteChange("there was no note to remove", None, week)
    return NoteChange(f"note removed: digest {week} goes out without one", "removed the note", week)
