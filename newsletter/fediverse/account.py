"""The account as the rest of the code meets it: its identity (from the settings and its
key, made on first use), how it signs, and the bounds of its HTTP."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from newsletter.config import Settings
from newsletter.config.settings import Fediverse
from newsletter.errors import ConfigError
from newsletter.fediverse.actor import Identity
from newsletter.fediverse.keys import new_private_key_pem, public_key_pem
from newsletter.fediverse.signatures import signed_headers
from newsletter.sources.fediverse import Bounds
from newsletter.store import SqlStore

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Account:
    identity: Identity
    private_pem: str
    created_at: datetime  # posts start from here: followers are not sent the past
    bounds: Bounds

    def signer(self, clock: Clock) -> Callable[[str, str, bytes | None], Mapping[str, str]]:
        """Signs each request when it leaves, dated by ``clock``."""

        def sign(method: str, url: str, body: bytes | None) -> Mapping[str, str]:
            return signed_headers(
                self.private_pem, self.identity.key_id, method, url, body, clock()
            )

        return sign


def enabled(config: Fediverse | None) -> Fediverse:
    if config is None:
        raise ConfigError("the fediverse account is off: add a fediverse: section to feeds.yaml")
    return config


def open_account(settings: Settings, store: SqlStore, now: datetime) -> Account:
    config = enabled(settings.fediverse)
    stored = store.fediverse_account(now, new_private_key_pem)
    identity = Identity(
        base_url=settings.env.base_url,
        username=config.username,
        name=config.name or settings.site.title,
        summary=config.summary or settings.site.description,
        public_key_pem=public_key_pem(stored.private_key_pem),
        site_url=settings.env.base_url,
    )
    return Account(
        identity, stored.private_key_pem, stored.created_at, Bounds(config.allow_private_addresses)
    )
