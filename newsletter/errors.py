"""One exception tree for the whole package, translated to one sentence at the edges.

    NewsletterError            exit_code 1: the command failed
    ├── ConfigError            exit_code 2: feeds.yaml or NEWSLETTER_* is wrong
    ├── StoreError             the database could not be used
    │   └── SchemaOutdated     the database needs `newsletter db upgrade`
    └── SourceError            one feed could not be fetched or parsed (never fatal to a run)
        ├── FetchError
        └── ParseError

The CLI prints ``str(error)`` on stderr and exits with ``error.exit_code``; nothing else
ever reaches a user as a traceback.
"""

from __future__ import annotations


class NewsletterError(Exception):
    exit_code = 1


class ConfigError(NewsletterError):
    exit_code = 2


class StoreError(NewsletterError):
    pass


class SchemaOutdated(StoreError):
    pass


class SourceError(NewsletterError):
    pass


class FetchError(SourceError):
    pass


class ParseError(SourceError):
    pass
