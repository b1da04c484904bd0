"""Building a week's digest: the I/O around the pure decisions of this package.

    catalog file ─► store (exercises) ─► rotation ─┐
    store (previous digest, candidates) ─► select ─┼─► render once ─► store (digests)
    store (the editor's note, if any) ─────────────┤   (takes the note)
                                                   └─ skip when empty and skip_empty

A week's digest is built once: a rebuild returns the recorded one, and when two builders
race the database keeps the first and the second returns it. ``preview`` goes through
the same steps and records nothing (the catalog aside: it is loaded on every command).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from newsletter.config import Newsletter, Settings
from newsletter.digest.catalog import catalog_path, load_catalog
from newsletter.digest.compose import web_copy
from newsletter.digest.release import check_build, dated
from newsletter.digest.render import DigestRenderer, Rendered
from newsletter.digest.rotation import choose_exercise
from newsletter.digest.select import (
    MAX_CANDIDATES,
    Period,
    candidate_window,
    digest_period,
)
from newsletter.digest.weeks import current_week, parse_week, send_day
from newsletter.errors import StoreError
from newsletter.store import SqlStore
from newsletter.store.digests import BuiltDigest, Candidates, CandidateWindow, DigestDraft
from newsletter.store.exercises import ExerciseRecord
from newsletter.subscribers.preferences import first_of_month

OLDER_LOOKBACK = timedelta(days=3650)  # "any time": a feed's whole history


@dataclass(frozen=True)
class Built:
    """The outcome of ``build_digest``: the recorded digest, or why there is none."""

    week: str
    digest: BuiltDigest | None  # None: skipped
    created: bool  # built by this call (False: it was already recorded)
    exercise: ExerciseRecord | None
    left_out: int = 0  # items dropped to keep the email under the size cap
    first: bool = False  # the site's first digest (or, skipped, it would have been)
    older: int = 0  # first digest: entries collected but published before its window

    @property
    def skipped(self) -> bool:
        return self.digest is None


@dataclass(frozen=True)
class Preview:
    week: str
    subject: str
    html: str
    text: str
    exercise: ExerciseRecord
    stored: bool  # the week's digest is built: this is what readers got
    item_count: int


def sync_catalog(site_root: Path, store: SqlStore, now: datetime) -> list[ExerciseRecord]:
    """Load exercises.yaml (the site's, else ours) into the store; return the catalog."""
    store.sync_exercises(load_catalog(catalog_path(site_root)), now)
    return store.exercise_catalog()


def resolve_week(timezone: str, now: datetime, week: str | None) -> str:
    """The week asked for (checked), else the current one in the newsletter's ``timezone``."""
    if week is None:
        return current_week(now, timezone)
    parse_week(week)
    return week.strip()


def build_digest(
    settings: Settings,
    store: SqlStore,
    now: datetime,
    week: str | None = None,
    late: bool = False,
    never_empty_first: bool = False,
    offers: Sequence[str] = (),
) -> Built:
    """Build and record the digest of ``week`` once; rerunning returns the recorded one.
    A late or out-of-order week needs ``late`` (see release.py). ``never_empty_first``
    (what `run` asks): a site's first digest waits until it has something in it; the
    owner's own `newsletter digest` builds what they ask for. ``offers``: the titles of
    the programmes its footer offers (``programmes.readers.offer_titles``)."""
    week = resolve_week(settings.newsletter.timezone, now, week)
    catalog = sync_catalog(settings.root, store, now)
    recorded = store.built_digest(week)
    if recorded is not None:
        return Built(week, recorded, False, _exercise_by_id(catalog, recorded.exercise_id))
    check_build(week, now, settings.newsletter, store.digest_weeks(), late)
    period, window, candidates = _contents(settings.newsletter, store, now, week)
    older = _older_than_first(store, window, candidates.total) if period.first else 0
    if not candidates.total and (
        settings.newsletter.skip_empty or (never_empty_first and period.first)
    ):
        # A first digest is never empty: "nothing new" is no way to greet a new reader.
        return Built(week, None, False, None, first=period.first)
    choice = choose_exercise(week, catalog, store.featured_weeks())
    featured = store.feature_week(week, choice.exercise_id, now)  # stored once, kept
    exercise = _known(catalog, featured.exercise_id)
    note = _waiting_note(store)
    rendered = DigestRenderer(settings, week, exercise, note=note, offers=offers).render(
        candidates.entries, candidates.total
    )
    draft = _draft(week, period, exercise, rendered, dated(week, now, settings.newsletter), note)
    # Monthly readers get the digest of the month's first send day.
    monthly = first_of_month(send_day(week, settings.newsletter.send_on).day)
    digest, created = store.save_digest(replace(draft, monthly=monthly))
    winner = exercise if created else _exercise_by_id(catalog, digest.exercise_id)
    more = rendered.sections.more if created else 0
    return Built(week, digest, created, winner, more, first=period.first, older=older)


def preview_digest(
    settings: Settings,
    store: SqlStore,
    now: datetime,
    week: str | None = None,
    offers: Sequence[str] = (),
) -> Preview:
    """The digest of ``week`` as it is (when built) or would be now; nothing recorded."""
    week = resolve_week(settings.newsletter.timezone, now, week)
    catalog = sync_catalog(settings.root, store, now)
    recorded = store.built_digest(week)
    if recorded is not None:
        exercise = _exercise_by_id(catalog, recorded.exercise_id)
        if exercise is not None:
            return _preview(
                settings.env.base_url, week, recorded, exercise, recorded.item_count, stored=True
            )
    _period, _window, candidates = _contents(settings.newsletter, store, now, week)
    exercise = _known(catalog, choose_exercise(week, catalog, store.featured_weeks()).exercise_id)
    renderer = DigestRenderer(settings, week, exercise, note=_waiting_note(store), offers=offers)
    rendered = renderer.render(candidates.entries, candidates.total)
    count = len(rendered.sections.entries)
    return _preview(settings.env.base_url, week, rendered, exercise, count, stored=False)


def _preview(
    base_url: str,
    week: str,
    digest: BuiltDigest | Rendered,
    exercise: ExerciseRecord,
    item_count: int,
    stored: bool,
) -> Preview:
    """A digest as a browser shows it: its links filled in from ``base_url`` (of now)."""
    return Preview(
        week,
        digest.subject,
        web_copy(digest.html, base_url),
        web_copy(digest.text, base_url),
        exercise,
        stored=stored,
        item_count=item_count,
    )


def _contents(
    newsletter: Newsletter, store: SqlStore, now: datetime, week: str
) -> tuple[Period, CandidateWindow, Candidates]:
    previous = store.digest_before(week)
    period = digest_period(week, now, newsletter, previous.period_end if previous else None)
    window = candidate_window(period, store.first_digest_start())
    return period, window, store.digest_candidates(window, MAX_CANDIDATES)


def _older_than_first(store: SqlStore, window: CandidateWindow, within: int) -> int:
    """How many entries the first digest (its ``window``, holding ``within``) leaves out
    for being published before it (a feed's history, seen at once by the first collect):
    said, not dropped silently. They are on the site and in the feeds."""
    published = window.articles_published_since
    everything = replace(
        window,
        articles_published_since=published - OLDER_LOOKBACK,
        questions_published_since=published - OLDER_LOOKBACK,
    )
    return store.digest_candidates(everything, 0).total - within


def _waiting_note(store: SqlStore) -> str | None:
    """The editor's note for the next digest built, if the owner wrote one."""
    found = store.editor_note()
    return found.markdown if found else None


def _draft(
    week: str,
    period: Period,
    exercise: ExerciseRecord,
    rendered: Rendered,
    now: datetime,
    note: str | None,
) -> DigestDraft:
    return DigestDraft(
        week=week,
        subject=rendered.subject,
        html=rendered.html,
        text=rendered.text,
        period_start=period.start,
        period_end=period.end,
        exercise_id=exercise.id,
        entry_ids=tuple(e.id for e in rendered.sections.entries),
        built_at=now,
        note=note,
    )


def _exercise_by_id(
    catalog: list[ExerciseRecord], exercise_id: int | None
) -> ExerciseRecord | None:
    return next((e for e in catalog if e.id == exercise_id), None)


def _known(catalog: list[ExerciseRecord], exercise_id: int) -> ExerciseRecord:
    # The catalog holds every exercise ever loaded (removed ones stay, inactive).
    found = _exercise_by_id(catalog, exercise_id)
    if found is None:
        raise StoreError(f"exercise {exercise_id} is referenced but missing from the store")
    return found
