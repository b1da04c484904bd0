"""Collecting: configured feeds in, stored entries and feed health out."""

from newsletter.collect.pipeline import CollectReport, FeedOutcome, collect

__all__ = ["CollectReport", "FeedOutcome", "collect"]
