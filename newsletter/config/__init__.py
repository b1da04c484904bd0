"""Configuration: ``feeds.yaml`` plus ``NEWSLETTER_*`` environment, refused whole when wrong."""

from __future__ import annotations

from typing import TYPE_CHECKING

from newsletter.config.settings import (
    DEFAULT_CONFIG,
    Environment,
    FeedConfig,
    Newsletter,
    SendOn,
    Settings,
    Site,
)

if TYPE_CHECKING:
    from newsletter.config.load import load_settings

__all__ = [
    "DEFAULT_CONFIG",
    "Environment",
    "FeedConfig",
    "Newsletter",
    "SendOn",
    "Settings",
    "Site",
    "load_settings",
]


def __getattr__(name: str) -> object:
    # The reader of feeds.yaml needs PyYAML; `newsletter --help` reads no feeds.yaml.
    if name == "load_settings":
        from newsletter.config.load import load_settings

        return load_settings
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
