"""What a week's digest covers: pure decisions over times, with ``now`` passed in.

* The period of a digest ends at the week's send time (or ``now``, if it is built
  early) and starts where the previous digest's period ended; the very first digest
  looks back at most :data:`FIRST_DIGEST_DAYS` days, so it is no backfill flood.
* Articles are the ones first seen in the period. One published long before the period
  began is a new feed's archive, not news (:data:`BACKLOG_DAYS`).
* Reader questions are the approved ones no digest carried yet (approval can come
  weeks after a question arrived), back to the start of the newsletter.
* Whatever a digest carried is never carried again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from newsletter.config import Newsletter
from newsletter.digest.weeks import send_time
from newsletter.store.digest_types import CandidateWindow, DigestEntry

FIRST_DIGEST_DAYS = 7
BACKLOG_DAYS = 7
MAX_CANDIDATES = 400  # more than fit in an email under the size cap, whatever the items


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime


def digest_period(
    week: str, now: datetime, newsletter: Newsletter, previous_end: datetime | None
) -> Period:
    """The span of first-seen times the digest of ``week`` covers."""
    end = min(now, send_time(week, newsletter.send_on, newsletter.timezone))
    start = previous_end if previous_end is not None else end - timedelta(FIRST_DIGEST_DAYS)
    return Period(start=min(start, end), end=end)


def candidate_window(period: Period, first_digest_start: datetime | None) -> CandidateWindow:
    questions_since = period.start
    if first_digest_start is not None:
        questions_since = min(questions_since, first_digest_start)
    return CandidateWindow(
        until=period.end,
        articles_since=period.start,
        published_since=period.start - timedelta(BACKLOG_DAYS),
        questions_since=questions_since,
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

    @property
    def empty(self) -> bool:
        return not self.articles and not self.questions


def sections(entries: Sequence[DigestEntry], keep: int, total: int) -> Sections:
    """The ``keep`` newest of ``entries`` (the oldest go first when the email is too
    big), grouped into articles and questions; ``total`` counts every candidate."""
    kept = newest_first(entries)[: max(0, keep)]
    return Sections(
        articles=tuple(e for e in kept if e.kind != "question"),
        questions=tuple(e for e in kept if e.kind == "question"),
        more=max(0, total - len(kept)),
    )
