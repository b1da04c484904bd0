"""newsletter: a self-hosted feed aggregator and weekly newsletter service."""

__version__ = "0.2.0"
