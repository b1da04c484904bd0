"""One exception tree for the whole package, translated to one sentence at the edges.

    NewsletterError            exit_code 1: the command failed
    ├── ConfigError            exit_code 2: feeds.yaml or NEWSLETTER_* is wrong
    ├── BadInput               exit_code 2: an argument is wrong or names nothing that exists
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


class BadInput(NewsletterError):
    """What the user typed cannot be used: not valid, or naming nothing that exists
    (`questions approve 999`). Like a usage error, exit status 2: retrying it as typed
    would fail again, whatever the state of the site."""

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
