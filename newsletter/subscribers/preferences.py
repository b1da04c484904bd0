"""What a reader chooses to get: sections, how often, which format, and a pause.

Plain values and pure decisions. The store keeps a reader's choice on their row; a digest is
rendered once per distinct *variant* in use (format, sections left out, and the weeks it
covers), never per reader; each delivery row records the variant it was queued with, so a
change applies from the next digest and never to one already queued.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from newsletter.config import FeedConfig

Frequency = Literal["weekly", "monthly"]
Format = Literal["html", "text"]
FREQUENCIES: tuple[Frequency, ...] = ("weekly", "monthly")
FORMATS: tuple[Format, ...] = ("html", "text")
PAUSE_WEEKS = (2, 4, 8)
QUESTIONS = "questions"
EXERCISE = "exercise"
FEED_SECTION = "feed-"  # + the slug of a feed's section (or name)
KEY_MAX = 500  # characters of an encoded variant: far more than any real site's sections
# The first digest of a month is the one whose send day is in the month's first week.
FIRST_WEEK_DAYS = 7


class BadVariant(ValueError):
    """A variant key that this code did not write."""


@dataclass(frozen=True)
class Section:
    key: str
    label: str


def section_key(feed: FeedConfig) -> str:
    """The section of an articles feed: its ``section:`` in feeds.yaml, else its name."""
    return FEED_SECTION + _slug(feed.section or feed.name)


def sections(feeds: Sequence[FeedConfig]) -> tuple[Section, ...]:
    """The sections a reader can turn on or off, in feeds.yaml's order: each section of
    articles (feeds sharing a ``section:`` are one), reader questions, the exercise."""
    found: dict[str, str] = {}
    for feed in feeds:
        if feed.kind == "articles":
            found.setdefault(section_key(feed), feed.section or feed.name)
    listed = [Section(key, label) for key, label in found.items()]
    return (
        *listed,
        Section(QUESTIONS, "Reader questions and answers"),
        Section(EXERCISE, "The foot exercise of the week"),
    )


@dataclass(frozen=True)
class Variant:
    """What one message of a digest carries. ``since``: the week of the reader's last
    digest, when this one covers the weeks after it (a monthly reader's), else None (this
    week only). Encoded as the delivery row's ``variant``; "" is the digest as built."""

    format: Format = "html"
    off: frozenset[str] = field(default_factory=frozenset)
    since: str | None = None

    def encode(self) -> str:
        parts = [] if self.format == "html" else [f"fmt={self.format}"]
        if self.off:
            parts.append("off=" + ",".join(sorted(self.off)))
        if self.since:
            parts.append(f"since={self.since}")
        return ";".join(parts)

    @classmethod
    def decode(cls, key: str) -> Variant:
        values: dict[str, str] = {}
        for part in filter(None, key.split(";")):
            name, sep, value = part.partition("=")
            if not sep or name in values or name not in ("fmt", "off", "since"):
                raise BadVariant(f"not a digest variant: {key[:80]!r}")
            values[name] = value
        fmt = values.get("fmt", "html")
        since = values.get("since")
        if fmt not in FORMATS or (since is not None and not _WEEK.fullmatch(since)):
            raise BadVariant(f"not a digest variant: {key[:80]!r}")
        off = frozenset(filter(None, values.get("off", "").split(",")))
        return cls(fmt, off, since)


_WEEK = re.compile(r"\d{4}-W\d{2}")


@dataclass(frozen=True)
class Choice:
    """A reader's preferences, as the preferences page shows and saves them."""

    off: frozenset[str] = field(default_factory=frozenset)
    frequency: Frequency = "weekly"
    format: Format = "html"
    paused_until: datetime | None = None

    @property
    def stored(self) -> str:
        """The part of every variant that is the reader's own (their row's ``choice``)."""
        return Variant(self.format, self.off).encode()

    def paused(self, now: datetime) -> bool:
        return self.paused_until is not None and now < self.paused_until

    def nothing_on(self, available: Sequence[Section]) -> bool:
        return all(s.key in self.off for s in available)

    def changes_from(
        self, before: Choice, now: datetime, available: Sequence[Section] = ()
    ) -> list[str]:
        """What changed, in words, for the subscriber's history (sections by their labels)."""
        labels = {s.key: s.label for s in available}

        def named(keys: frozenset[str]) -> str:
            return ", ".join(sorted(labels.get(key, key) for key in keys))

        said = []
        turned_off, turned_on = self.off - before.off, before.off - self.off
        if turned_off:
            said.append("turned off " + named(turned_off))
        if turned_on:
            said.append("turned on " + named(turned_on))
        if self.frequency != before.frequency:
            said.append(f"now {self.frequency}")
        if self.format != before.format:
            said.append("plain text only" if self.format == "text" else "HTML with a text part")
        if self.paused(now) and self.paused_until != before.paused_until:
            assert self.paused_until is not None
            said.append(f"paused until {self.paused_until:%Y-%m-%d}")
        elif before.paused(now) and not self.paused(now):
            said.append("pause ended")
        return said


def choice_from_stored(stored: str, frequency: str, paused_until: datetime | None) -> Choice:
    """A reader's row back as a :class:`Choice` (a row this code did not write reads as the
    defaults rather than failing the page)."""
    try:
        variant = Variant.decode(stored)
    except BadVariant:
        variant = Variant()
    weekly_or_monthly = frequency if frequency in FREQUENCIES else "weekly"
    return Choice(variant.off, weekly_or_monthly, variant.format, paused_until)


def choice_totals(counts: Sequence[tuple[str, str, bool, int]]) -> Counter[str]:
    """Readers per part of a choice, from (stored choice, frequency, paused, readers) rows:
    ``weekly``/``monthly``, ``html``/``text``, ``paused``, and ``off:<section>``."""
    totals: Counter[str] = Counter()
    for stored, frequency, paused, readers in counts:
        choice = choice_from_stored(stored, frequency, None)
        totals[choice.frequency] += readers
        totals[choice.format] += readers
        for key in choice.off:
            totals[f"off:{key}"] += readers
        if paused:
            totals["paused"] += readers
    return totals


@dataclass(frozen=True)
class ChoiceLine:
    """One line of the owner's counts: what, and how many active readers."""

    label: str
    readers: int


def choice_lines(
    totals: Counter[str], available: Sequence[Section], active: int
) -> list[ChoiceLine]:
    """The owner's counts in words: frequency, format, pauses, then each section's readers."""
    lines = [
        ChoiceLine("Every week", totals["weekly"]),
        ChoiceLine("Once a month", totals["monthly"]),
        ChoiceLine("Designed email", totals["html"]),
        ChoiceLine("Plain text only", totals["text"]),
        ChoiceLine("Paused now", totals["paused"]),
    ]
    return lines + [ChoiceLine(s.label, active - totals[f"off:{s.key}"]) for s in available]


def pause_end(weeks: int, now: datetime) -> datetime:
    if weeks not in PAUSE_WEEKS:
        raise ValueError(f"a pause is {', '.join(map(str, PAUSE_WEEKS))} weeks")
    return now + timedelta(weeks=weeks)


def first_of_month(send_day: int) -> bool:
    """Whether a digest sent on this day of its month is the month's first: monthly readers
    get that one, covering the weeks since their last digest."""
    return send_day <= FIRST_WEEK_DAYS


def _slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")
    return slug[:60] or "section"
