"""Readers' preferences in SQL: their choice on the subscribers row, the history of their
changes, the owner's counts, and the digest variants rendered for them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update

from newsletter.store.base import SqlBase, dialect_insert
from newsletter.store.digests import DigestEntry
from newsletter.store.digests import _entry as digest_entry
from newsletter.store.models import (
    Digest,
    DigestItem,
    DigestVariant,
    Entry,
    Exercise,
    Feed,
    Subscriber,
    SubscriberEvent,
)
from newsletter.store.subscribers import SubscriberState


@dataclass(frozen=True)
class StoredChoice:
    """What the preferences page saves: the reader's part of every variant, how often,
    and a pause (its end)."""

    choice: str
    frequency: str
    paused_until: datetime | None


@dataclass(frozen=True)
class ChoiceCount:
    """How many active readers share one stored choice (for the console's counts)."""

    choice: str
    frequency: str
    paused: bool
    readers: int


@dataclass(frozen=True)
class Rendering:
    subject: str
    html: str  # "" for plain text only
    text: str
    item_count: int


@dataclass(frozen=True)
class WeekFeature:
    week: str
    exercise_name: str | None


class PreferencesSql(SqlBase):
    def save_choice(
        self, subscriber_id: int, chosen: StoredChoice, said: Sequence[str], now: datetime
    ) -> bool:
        """Store an active reader's choice and what changed, in words, in their history;
        False (nothing changed) when they are not active. A new pause forgets the week of
        their last digest, so the weeks paused are not sent later."""
        values: dict[str, object] = {
            "choice": chosen.choice,
            "frequency": chosen.frequency,
            "paused_until": chosen.paused_until,
        }
        with self._session() as session:
            row = session.get(Subscriber, subscriber_id, with_for_update=True)
            if row is None or row.state != SubscriberState.ACTIVE:
                return False
            newly_paused = chosen.paused_until is not None and chosen.paused_until > now
            if newly_paused and chosen.paused_until != row.paused_until:
                values["last_week"] = None
            session.execute(update(Subscriber).where(Subscriber.id == row.id).values(values))
            session.add_all(
                SubscriberEvent(subscriber_id=row.id, at=now, what=what[:1000]) for what in said
            )
            return True

    def subscriber_events(self, subscriber_id: int) -> list[tuple[datetime, str]]:
        """Their changes, in the order they were made."""
        query = (
            select(SubscriberEvent.at, SubscriberEvent.what)
            .where(SubscriberEvent.subscriber_id == subscriber_id)
            .order_by(SubscriberEvent.id)
        )
        with self._session() as session:
            return [(at, what) for at, what in session.execute(query)]

    def choice_counts(self, now: datetime) -> list[ChoiceCount]:
        """Active readers per distinct choice: a few rows, however many readers."""
        paused = Subscriber.paused_until.is_not(None) & (Subscriber.paused_until > now)
        query = (
            select(Subscriber.choice, Subscriber.frequency, paused, func.count())
            .where(Subscriber.state == SubscriberState.ACTIVE)
            .group_by(Subscriber.choice, Subscriber.frequency, paused)
        )
        with self._session() as session:
            return [ChoiceCount(c, f, bool(p), int(n)) for c, f, p, n in session.execute(query)]

    def digest_variant(self, digest_id: int, key: str) -> Rendering | None:
        query = select(
            DigestVariant.subject, DigestVariant.html, DigestVariant.text, DigestVariant.item_count
        ).where(DigestVariant.digest_id == digest_id, DigestVariant.key == key)
        with self._session() as session:
            row = session.execute(query).first()
        return None if row is None else Rendering(*row)

    def save_digest_variant(self, digest_id: int, key: str, rendering: Rendering) -> Rendering:
        """Record a variant once; when another sender recorded it first, theirs is kept and
        returned, so every reader of a variant gets the same message."""
        values = {
            "digest_id": digest_id,
            "key": key,
            "subject": rendering.subject,
            "html": rendering.html,
            "text": rendering.text,
            "item_count": rendering.item_count,
        }
        with self._session() as session:
            statement = dialect_insert(session, DigestVariant).values(values)
            session.execute(statement.on_conflict_do_nothing(index_elements=["digest_id", "key"]))
        found = self.digest_variant(digest_id, key)
        assert found is not None  # inserted, or there already
        return found

    def weeks_entries(self, week: str, since: str | None) -> list[DigestEntry]:
        """The entries the digests of the weeks after ``since`` up to ``week`` carried
        (``week``'s alone without ``since``), newest digest first, each entry once."""
        chosen = (
            Digest.week == week if since is None else (Digest.week > since) & (Digest.week <= week)
        )
        query = (
            select(Entry, Feed.name)
            .join(DigestItem, DigestItem.entry_id == Entry.id)
            .join(Digest, DigestItem.digest_id == Digest.id)
            .outerjoin(Feed, Entry.feed_id == Feed.id)
            .where(chosen)
            .order_by(Digest.week.desc(), DigestItem.position)
        )
        seen: set[int] = set()
        found: list[DigestEntry] = []
        with self._session() as session:
            for row, name in session.execute(query):
                if row.id not in seen:
                    seen.add(row.id)
                    found.append(digest_entry(row, name))
        return found

    def weeks_features(self, week: str, since: str) -> list[WeekFeature]:
        """The exercise of each digest after ``since`` up to ``week``, oldest first."""
        query = (
            select(Digest.week, Exercise.name)
            .outerjoin(Exercise, Digest.exercise_id == Exercise.id)
            .where(Digest.week > since, Digest.week <= week)
            .order_by(Digest.week)
        )
        with self._session() as session:
            return [WeekFeature(w, name) for w, name in session.execute(query)]
