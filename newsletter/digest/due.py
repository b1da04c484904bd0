"""The digest step of `newsletter run`: build this week's digest once it is due."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from newsletter.config import Settings
from newsletter.digest.build import build_digest, sync_catalog
from newsletter.digest.release import first_digest_waits
from newsletter.digest.weeks import current_week, send_time, shift_week
from newsletter.store import SqlStore

Status = Literal["built", "already_built", "not_due", "skipped", "first_waits", "first_empty"]


@dataclass(frozen=True)
class DigestReport:
    """What the digest step did. ``digest_id`` is set when the week's digest exists
    (built now or before): delivery queues one message per subscriber for it."""

    week: str
    status: Status
    due_at: datetime  # the week's send time, UTC
    timezone: str
    digest_id: int | None = None
    subject: str | None = None
    item_count: int = 0
    left_out: int = 0
    exercise: str | None = None
    older: int = 0  # the first digest: entries collected, published before its window

    def summary(self) -> str:
        due = self.due_at.astimezone(ZoneInfo(self.timezone)).strftime("%a %d %b %Y %H:%M %Z")
        if self.status == "not_due":
            return f"digest {self.week}: not due until {due}"
        if self.status == "skipped":
            return f"digest {self.week}: skipped, nothing new this week (skip_empty is on)"
        if self.status == "first_waits":
            return (
                f"digest {self.week}: the site's first, due {due}; what is collected until "
                "then goes into it"
            )
        if self.status == "first_empty":
            return (
                f"digest {self.week}: not built yet, nothing to put in it (a first digest is "
                "never empty); the next run tries again"
            )
        verb = "built" if self.status == "built" else "already built"
        more = f", {self.left_out} left out to fit the size cap" if self.left_out else ""
        if self.older:
            more += (
                f"; {self.older} older entries collected on day one are on the site, not in "
                "this first digest (it covers the 7 days before it)"
            )
        return (
            f"digest {self.week}: {verb}, {self.item_count} item(s){more}, "
            f"exercise: {self.exercise}"
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "week": self.week,
            "status": self.status,
            "due_at": self.due_at.isoformat(),
            "digest_id": self.digest_id,
            "subject": self.subject,
            "items": self.item_count,
            "left_out": self.left_out,
            "exercise": self.exercise,
            "older": self.older,
        }


def build_due_digest(
    settings: Settings, store: SqlStore, now: datetime, offers: Sequence[str] = ()
) -> DigestReport:
    """Build the current week's digest when ``now`` has reached the week's ``send_on``
    time (in the newsletter's timezone) and it is not built yet; else say why not.
    ``offers``: the titles of the programmes its footer offers."""
    zone = settings.newsletter.timezone
    week = current_week(now, zone)
    due_at = send_time(week, settings.newsletter.send_on, zone)
    if first_digest_waits(week, settings.newsletter, store.site_started(), store.digest_weeks()):
        sync_catalog(settings.root, store, now)
        week = shift_week(week, 1)
        due_at = send_time(week, settings.newsletter.send_on, zone)
        return DigestReport(week=week, status="first_waits", due_at=due_at, timezone=zone)
    if now < due_at:
        sync_catalog(settings.root, store, now)  # on every run: a mistake in the file shows at once
        return DigestReport(week=week, status="not_due", due_at=due_at, timezone=zone)
    built = build_digest(settings, store, now, week, never_empty_first=True, offers=offers)
    if built.digest is None:
        status: Status = "first_empty" if built.first else "skipped"
        return DigestReport(week=week, status=status, due_at=due_at, timezone=zone)
    return DigestReport(
        week=week,
        status="built" if built.created else "already_built",
        due_at=due_at,
        timezone=zone,
        digest_id=built.digest.id,
        subject=built.digest.subject,
        item_count=built.digest.item_count,
        left_out=built.left_out,
        exercise=built.exercise.name if built.exercise else None,
        older=built.older,
    )
