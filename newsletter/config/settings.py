"""Typed, immutable settings: what feeds.yaml and the NEWSLETTER_* environment say."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from pathlib import Path

from newsletter.sources.types import Kind, Limits

DEFAULT_CONFIG = "feeds.yaml"

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class Site:
    title: str
    url: str
    description: str = ""
    language: str = "en"
    websub_hub: str | None = None
    feed_items: int = 50  # how many entries the published feeds carry


@dataclass(frozen=True)
class SendOn:
    weekday: int  # 0 = Monday, as in datetime.weekday()
    at: time

    def __str__(self) -> str:
        return f"{WEEKDAYS[self.weekday]} {self.at:%H:%M}"


@dataclass(frozen=True)
class Dkim:
    """Who signs: the d= domain and the s= selector (DNS: <selector>._domainkey.<domain>)."""

    selector: str
    domain: str


@dataclass(frozen=True)
class Newsletter:
    sender: str  # the From: header, "Name <address>"
    send_on: SendOn
    timezone: str  # an IANA name, checked against the tz database
    skip_empty: bool = False  # skip weeks with no new articles or questions
    # Bounce handling (issue 12): the VERP return path's base address, None = VERP off
    # (bounces then reach the From address); soft bounces in a row before suppression.
    bounce_address: str | None = None
    soft_bounce_limit: int = 3
    # The mailbox of List-Unsubscribe's mailto: (mail goes to local+TOKEN@domain); None:
    # the From address's.
    unsubscribe_address: str | None = None
    dkim: Dkim | None = None  # sign each message (key: NEWSLETTER_DKIM_KEY_FILE)


@dataclass(frozen=True)
class Fediverse:
    """The site as one fediverse account, @username@<host of the base URL> (docs/fediverse.md)."""

    username: str = "news"
    name: str | None = None  # the display name; None: the site's title
    summary: str | None = None  # the profile's text; None: the site's description
    # Remote fetches (keys, actors) and deliveries to loopback and private addresses: for a
    # trial on one machine and the tests; refused otherwise (a follower could name any host).
    allow_private_addresses: bool = False
    line: int = 0  # where feeds.yaml's fediverse: starts, for messages


@dataclass(frozen=True)
class FeedConfig:
    name: str
    kind: Kind
    key: str  # identity in the store: the url as written, or "path:" + the path as written
    url: str | None = None
    path: Path | None = None  # absolute, resolved against the folder of feeds.yaml
    line: int = 0  # where feeds.yaml defines it, for messages
    section: str | None = None  # readers turn sections on or off; default: the feed's name


@dataclass(frozen=True)
class Environment:
    """The NEWSLETTER_* values the settings carry: a field per row of config/variables.py,
    which reads each of them."""

    database_url: str
    smtp_url: str | None
    outbox: Path | None  # NEWSLETTER_OUTBOX: emails written to a folder, only when asked for
    base_url: str
    secret_key: str | None
    bounce_imap_url: str | None = None  # NEWSLETTER_BOUNCE_IMAP_URL: the bounce mailbox
    dkim_key_file: Path | None = None  # the PEM private key that signs (see Newsletter.dkim)
    mailgun_signing_key: str | None = None  # verifies POST /hooks/mailgun
    ses_topic_arns: tuple[str, ...] = ()  # the SNS topics POST /hooks/ses accepts


@dataclass(frozen=True)
class Settings:
    config_path: Path
    root: Path  # the site folder: where feeds.yaml lives; relative paths resolve here
    site: Site
    newsletter: Newsletter
    collect: Limits
    feeds: tuple[FeedConfig, ...]
    env: Environment
    fediverse: Fediverse | None = None  # None: off (no fediverse: in feeds.yaml, or enabled: false)

    @property
    def db_dir(self) -> Path:
        return self.root / "db"
