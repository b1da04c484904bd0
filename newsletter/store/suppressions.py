"""People erased on request: only a hash of their address key is kept, so that no later
insert (web sign-up, `subscribers add`, an import) can bring them back."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any, Protocol, TypeVar

from sqlalchemy import select

from newsletter.errors import NewsletterError
from newsletter.store.models import Suppression


class Keyed(Protocol):
    """Anything with an address key (a new subscriber): subscribers.py imports this
    module, so it is not imported back."""

    @property
    def email_key(self) -> str: ...


K = TypeVar("K", bound=Keyed)


class Suppressed(NewsletterError):
    """The address was erased on request and may not be added again."""

    exit_code = 2


def suppression_hash(email_key: str) -> str:
    return hashlib.sha256(("suppressed:" + email_key).encode()).hexdigest()


def suppressed(session: Any, keys: Sequence[str]) -> set[str]:
    """The hashes of ``keys`` that are suppressed."""
    hashes = [suppression_hash(key) for key in keys]
    query = select(Suppression.email_hash).where(Suppression.email_hash.in_(hashes))
    return set(session.scalars(query))


def drop_suppressed(session: Any, new: Sequence[K]) -> list[K]:
    """The new subscribers that were never erased on request."""
    if not new:
        return []
    gone = suppressed(session, [n.email_key for n in new])
    return [n for n in new if suppression_hash(n.email_key) not in gone]
