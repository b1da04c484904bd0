"""What a week's digest covers: pure decisions over times, with ``now`` passed in.

* A digest covers the entries first seen in its period. The period starts where the
  previous digest's ended and ends when the digest is built; the digest of a week that
  is over ends at that week's send time, as it would have been built then.
* The very first digest looks back :data:`FIRST_DIGEST_DAYS` days, by first-seen and by
  published time: the first collect sees a feed's whole history at once, and that is
  no news (no backfill flood).
* An entry published more than :data:`BACKLOG_DAYS` before the period began is a newly
  added feed's archive, not news.
* Reader questions are the approved ones no digest carried yet (approval can come after
  the digest of the week the question arrived), back to the newsletter's first digest.
* Whatever a digest carried is never carried again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from newsletter.config import Newsletter
from newsletter.digest.weeks import send_time, week_bounds
from newsletter.store.digests import CandidateWindow, DigestEntry
from newsletter.store.entries import EntryKind

FIRST_DIGEST_DAYS = 7
BACKLOG_DAYS = 7
MAX_CANDIDATES = 400  # more than fit in an email under the size cap, whatever the items


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime
    first: bool  # no digest came before: look back FIRST_DIGEST_DAYS, nothing older


def digest_period(
    week: str, now: datetime, newsletter: Newsletter, previous_end: datetime | None
) -> Period:
    """The span of first-seen times the digest of ``week`` covers, built at ``now``."""
    _monday, week_end = week_bounds(week, newsletter.timezone)
    end = now if now < week_end else send_time(week, newsletter.send_on, newsletter.timezone)
    first = previous_end is None
    start = end - timedelta(FIRST_DIGEST_DAYS) if previous_end is None else previous_end
    return Period(start=min(start, end), end=end, first=first)


def candidate_window(period: Period, first_digest_start: datetime | None) -> CandidateWindow:
    questions_since = period.start
    if first_digest_start is not None:
        questions_since = min(questions_since, first_digest_start)
    backlog = timedelta(0 if period.first else BACKLOG_DAYS)
    return CandidateWindow(
        until=period.end,
        articles_since=period.start,
        articles_published_since=period.start - backlog,
        questions_since=questions_since,
        questions_published_since=questions_since - backlog,
    )


def newest_first(entries: Sequence[DigestEntry]) -> list[DigestEntry]:
    return sorted(entries, key=lambda e: (e.published_at, e.id), reverse=True)


@dataclass(frozen=True)
class Sections:
    """The items a digest shows, in the order it shows them."""

    articles: tuple[DigestEntry, ...]  # newest first
    questions: tuple[DigestEntry, ...]  # newest first, in their own section
    more: int  # items left out to keep the email small: "and N more on the site"

    @property
    def entries(self) -> tuple[DigestEntry, ...]:
        return self.articles + self.questions


def sections(entries: Sequence[DigestEntry], keep: int, total: int) -> Sections:
    """The ``keep`` newest of ``entries`` (the oldest go first when the email is too
    big), grouped into articles and questions; ``total`` counts every candidate."""
    kept = newest_first(entries)[: max(0, keep)]
    return Sections(
        articles=tuple(e for e in kept if e.kind != EntryKind.QUESTION),
        questions=tuple(e for e in kept if e.kind == EntryKind.QUESTION),
        more=max(0, total - len(kept)),
    )
