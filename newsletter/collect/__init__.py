"""Collecting: configured feeds in, stored entries and feed health out."""

from newsletter.collect.pipeline import (
    QUIET,
    CollectProgress,
    CollectReport,
    FeedOutcome,
    collect,
)
from newsletter.sources.types import Limits  # collect's argument, for its callers

__all__ = ["QUIET", "CollectProgress", "CollectReport", "FeedOutcome", "Limits", "collect"]
