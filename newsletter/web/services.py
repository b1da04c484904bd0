"""What the routes share: settings, the store (opened on first use), the clock, and the
pieces built once per app on first use (templates, signing keys, rate limits)."""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

from flask import Flask, current_app
from jinja2 import Environment

from newsletter.assets import Asset
from newsletter.config import Settings
from newsletter.errors import ConfigError
from newsletter.programmes.file import load_site_programmes, programmes_version
from newsletter.programmes.model import Programme
from newsletter.store import SqlStore, open_store
from newsletter.subscribers import Tokens
from newsletter.subscribers.tokens import secret_key
from newsletter.templating import make_environment
from newsletter.web.ratelimit import RateLimits, TokenBucket
from newsletter.web.showcase import KEEP as SHOWCASE_KEEP
from newsletter.web.showcase import Showcase, showcase


def utc_now() -> datetime:
    return datetime.now(UTC)


class Services:
    KEY = "newsletter"

    def __init__(
        self,
        settings: Settings,
        store: SqlStore | None,
        clock: Callable[[], datetime],
        limits: RateLimits | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.limits = limits or RateLimits()
        self._store = store
        self._owns_store = store is None
        self._lock = threading.Lock()
        self._buckets: dict[str, TokenBucket] = {}
        self._keys: tuple[Tokens, str] | None = None
        self._programmes: tuple[object, tuple[Programme, ...]] | None = None  # (version, them)
        self.assets: dict[str, Asset] = {}  # templates/web/ files served as they are
        self.showcase: tuple[datetime, Showcase] | None = None  # the home page's, and when

    def current_showcase(self) -> Showcase:
        """The home page's showcase, read again once it is a minute old."""
        now = self.clock()
        kept = self.showcase
        if kept is not None and kept[0] <= now < kept[0] + SHOWCASE_KEEP:
            return kept[1]
        shown = showcase(self.settings.root, self.settings.newsletter, self.store(), now)
        self.showcase = (now, shown)  # a race reads it twice, harmlessly
        return shown

    @property
    def public_dir(self) -> Path:
        """Where ``newsletter publish`` writes by default, and the web app reads."""
        return self.settings.root / "public"

    @property
    def secure(self) -> bool:
        """The site is served over https: its cookies say Secure."""
        return self.settings.env.base_url.lower().startswith("https:")

    def store(self) -> SqlStore:
        if self._store is None:
            with self._lock:  # requests run in threads; open the database once
                if self._store is None:
                    self._store = open_store(self.settings.env.database_url)
        return self._store

    @cached_property
    def templates(self) -> Environment:
        """The site's templates/ first, then ours (a race builds it twice, harmlessly)."""
        return make_environment(self.settings.root)

    def programmes(self) -> tuple[Programme, ...]:
        """The site's programmes (programmes.yaml), read again when it or exercises.yaml
        changed since, so an edit shows without restarting the app, as it does in the
        console and the next `run`. A file with a mistake offers none, and the log says
        why (once per version of the file): every page still works."""
        version = programmes_version(self.settings.root)
        if self._programmes is None or self._programmes[0] != version:
            try:
                found = load_site_programmes(self.settings.root)
            except ConfigError as exc:
                logging.getLogger("newsletter.web").error("no programmes offered: %s", exc)
                found = ()
            self._programmes = (version, found)  # a race reads it twice, harmlessly
        return self._programmes[1]

    def programme(self, key: str) -> Programme | None:
        return next((p for p in self.programmes() if p.key == key), None)

    def tokens(self) -> Tokens:
        """Signs and reads the confirm and unsubscribe links of emails."""
        return self._signing()[0]

    def session_key(self) -> str:
        """The session cookie's key: derived from the links' key (one secret to keep), but
        never the same key, so a session cookie can never pass for a link or the reverse."""
        return self._signing()[1]

    def bucket(self, name: str) -> TokenBucket | None:
        """The rate limit of a form (``subscribe`` or ``questions``); None: unlimited."""
        rate = getattr(self.limits, name)
        if rate is None:
            return None
        with self._lock:
            return self._buckets.setdefault(name, TokenBucket(rate))

    def close(self) -> None:
        """Close the store if the app opened it; a store passed in belongs to the caller."""
        with self._lock:
            if self._owns_store and self._store is not None:
                self._store.close()
                self._store = None

    def _signing(self) -> tuple[Tokens, str]:
        if self._keys is None:
            with self._lock:
                if self._keys is None:
                    # Reads NEWSLETTER_SECRET_KEY, else db/secret.key (created once).
                    key = secret_key(self.settings.env.secret_key, self.settings.db_dir)
                    derived = hmac.new(key.encode(), b"flask-session", hashlib.sha256)
                    self._keys = (Tokens(key), derived.hexdigest())
        return self._keys


def services() -> Services:
    found: Services = current_app.extensions[Services.KEY]
    return found


def close(app: Flask) -> None:
    app.extensions[Services.KEY].close()
