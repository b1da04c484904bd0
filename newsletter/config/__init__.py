"""Configuration: ``feeds.yaml`` plus ``NEWSLETTER_*`` environment, refused whole when wrong."""

from newsletter.config.load import DEFAULT_CONFIG, load_settings
from newsletter.config.settings import (
    Environment,
    FeedConfig,
    Newsletter,
    SendOn,
    Settings,
    Site,
)

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
