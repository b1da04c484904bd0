"""What publishing reads (implemented by :class:`newsletter.store.SqlStore`)."""

from __future__ import annotations

from typing import Protocol

from newsletter.store.archive import ArchivedDigest, Feature
from newsletter.store.digests import DigestSummary, StoredDigest
from newsletter.store.entries import PublishedEntry
from newsletter.store.exercises import ExerciseRecord


class PublishStore(Protocol):
    """What ``newsletter.publish`` and the web app's feed and archive routes read.

    Every method is one read-only transaction; times are timezone-aware UTC.
    """

    def latest_entries(self, limit: int) -> list[PublishedEntry]:
        """The ``limit`` newest approved articles and questions, newest first (by
        ``published_at``, then by id), each with the name and URL of its feed."""
        ...

    def digest_summaries(self) -> list[DigestSummary]:
        """Every digest built so far, newest week first, with its exercise's name."""
        ...

    def get_digest(self, week: str) -> StoredDigest | None:
        """The digest of ``week`` (``YYYY-Www``), or None when none was built."""
        ...


class ArchiveStore(PublishStore, Protocol):
    """What the archive's pages read beyond the digests' list (publish and the web app's
    archive and home page); every method is one read-only transaction."""

    def archived_digest(self, week: str) -> ArchivedDigest | None:
        """The digest of ``week`` with its exercise and its entries, or None."""
        ...

    def features(self) -> list[Feature]:
        """The exercise of every built digest, oldest week first."""
        ...

    def exercise_catalog(self) -> list[ExerciseRecord]:
        """Every exercise ever loaded: the active ones in catalog order, then the rest."""
        ...
