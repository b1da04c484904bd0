"""What the routes share: settings, the store (opened on first use) and the clock."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask, current_app

from newsletter.config import Settings
from newsletter.store import SqlStore, open_store


def utc_now() -> datetime:
    return datetime.now(UTC)


class Services:
    KEY = "newsletter"

    def __init__(
        self, settings: Settings, store: SqlStore | None, clock: Callable[[], datetime]
    ) -> None:
        self.settings = settings
        self.clock = clock
        self._store = store
        self._owns_store = store is None
        self._lock = threading.Lock()

    @property
    def public_dir(self) -> Path:
        """Where ``newsletter publish`` writes by default, and the web app reads."""
        return self.settings.root / "public"

    def store(self) -> SqlStore:
        if self._store is None:
            with self._lock:  # requests run in threads; open the database once
                if self._store is None:
                    self._store = open_store(self.settings)
        return self._store

    def close(self) -> None:
        """Close the store if the app opened it; a store passed in belongs to the caller."""
        with self._lock:
            if self._owns_store and self._store is not None:
                self._store.close()
                self._store = None


def services() -> Services:
    found: Services = current_app.extensions[Services.KEY]
    return found


def close(app: Flask) -> None:
    app.extensions[Services.KEY].close()
