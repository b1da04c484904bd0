"""Plain values the store hands out and takes in; callers never see ORM objects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

EntryKind = Literal["article", "question"]
EntryStatus = Literal["approved", "pending", "rejected"]


@dataclass(frozen=True)
class FeedState:
    """A configured feed as the store knows it: identity, validators and health."""

    id: int
    key: str
    name: str
    kind: str  # articles | questions
    url: str | None
    path: str | None
    title: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    last_attempt_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    last_warning: str | None = None
    consecutive_failures: int = 0
    next_attempt_at: datetime | None = None
    gone_at: datetime | None = None

    @property
    def gone(self) -> bool:
        return self.gone_at is not None


@dataclass(frozen=True)
class NewEntry:
    """An entry ready to store. ``published_at`` None means: use the first-seen time."""

    key: str
    kind: EntryKind
    status: EntryStatus
    title: str
    content_hash: str
    guid: str | None = None
    link: str | None = None
    summary_html: str = ""
    content_html: str = ""
    author: str | None = None
    published_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class SaveCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass(frozen=True)
class RunRecord:
    id: int
    command: str
    started_at: datetime
    finished_at: datetime | None
    report: dict[str, object] | None
