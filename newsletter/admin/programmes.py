"""The console's programmes page: where the readers of each programme are (at each step,
paused, finished, left), each step as readers get it, and a step sent to the signed-in
owner; and a subscriber's programmes, for their page."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from newsletter.config import Settings
from newsletter.digest.catalog import catalog_path, load_catalog
from newsletter.mail.transport import transport_factory
from newsletter.mail.trial import send_test_digest
from newsletter.programmes.model import Programme
from newsletter.programmes.render import preview_step
from newsletter.store import SqlStore
from newsletter.store.programmes import EnrolmentRecord, ProgrammeCounts


@dataclass(frozen=True)
class ProgrammeView:
    """A programme and where its readers are."""

    programme: Programme
    counts: ProgrammeCounts
    step_names: tuple[str, ...]  # each step's exercise as the catalog names it

    @property
    def at_step(self) -> list[tuple[int, int]]:
        """(steps had, active readers) for each step a reader can be waiting after, zeros
        included: 0 is joined, the first step to come."""
        return [(n, self.counts.at_step.get(n, 0)) for n in range(self.programme.length)]

    @property
    def total(self) -> int:
        counts = self.counts
        return sum(counts.at_step.values()) + counts.paused + counts.finished + counts.left


@dataclass(frozen=True)
class Enrolled:
    """One of a subscriber's programmes: its title and length when the site still has it."""

    record: EnrolmentRecord
    title: str
    length: int | None  # None: no longer in programmes.yaml


def programme_views(
    store: SqlStore, programmes: Sequence[Programme], site_root: Path
) -> list[ProgrammeView]:
    """Each programme, its readers, and its steps' exercises by name (the file was checked
    against the catalog, so every slug has one, unless exercises.yaml changed since: then
    the slug)."""
    names = {e.slug: e.name for e in load_catalog(catalog_path(site_root))}
    return [
        ProgrammeView(
            p,
            store.programme_counts(p.key),
            tuple(names.get(s.exercise, s.exercise) for s in p.steps),
        )
        for p in programmes
    ]


def enrolled(
    store: SqlStore, subscriber_id: int, programmes: Sequence[Programme]
) -> list[Enrolled]:
    """The subscriber's programmes, oldest joined first."""
    known = {p.key: p for p in programmes}
    lines = []
    for record in store.enrolments(subscriber_id):
        found = known.get(record.programme)
        title = found.title if found else record.programme
        lines.append(Enrolled(record, title, found.length if found else None))
    return lines


def send_step_test(settings: Settings, key: str, number: int, to: str, now: datetime) -> str:
    """Step ``number`` of programme ``key`` to ``to`` only, through the transport every
    email takes; nothing is recorded. BadInput for a programme or step the site does not
    have, TestNotSent when the server refuses it."""
    step = preview_step(settings, key, number)
    transport = transport_factory(settings.env.smtp_url, settings.env.outbox)()
    sender = settings.newsletter.sender
    send_test_digest(sender, to, step.subject, step.text, step.html, now, transport)
    return f"step {number} of {key} was sent to {to}"
