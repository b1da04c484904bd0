"""The ``NEWSLETTER_*`` environment variables, declared once.

Each row says what a variable means, its default, whether it is secret, and, for one the
settings carry, its ``Environment`` field and how its value is read (one of the readers
below; ``text`` when it is taken as set). The loader reads the environment from the rows and
refuses a name missing here (with a did-you-mean); ``tests/test_config_variables.py`` checks
rows and fields agree both ways, in type too; the README's environment table is generated
from the rows with cog (``make docs``). So a new variable is one row here and its field in
``Environment``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from newsletter.config.settings import Environment
from newsletter.errors import ConfigError

PREFIX = "NEWSLETTER_"
TEST_PREFIX = "TEST_"  # NEWSLETTER_TEST_*: the test suite's own knobs, never the product's

SMTP_SCHEMES = ("smtp", "smtp+starttls", "smtps")
IMAP_SCHEMES = ("imaps", "imap+starttls", "imap")
MIN_SECRET_KEY_LENGTH = 32  # what `secrets.token_urlsafe(24)` gives: guessing is hopeless
_SNS_ARN = re.compile(r"arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]+")

# The readers: the value as set (None when unset or empty) and the site folder, to the
# field's value; a wrong value is refused in one sentence that never shows a secret.
Reader = Callable[[str | None, Path], Any]


def text(value: str | None, root: Path) -> str | None:
    """The value as set."""
    return value


def path(value: str | None, root: Path) -> Path | None:
    """A file or folder, relative to the site folder."""
    return root / value if value else None


def database_url(value: str | None, root: Path) -> str:
    """The default is SQLite in db/; a relative SQLite path resolves against the site folder."""
    url = value or "sqlite:///db/newsletter.sqlite3"
    scheme, sep, rest = url.partition(":///")
    if scheme.startswith("sqlite") and sep and rest and not rest.startswith((":memory:", "/")):
        return f"{scheme}:///{root / rest}"
    if not re.match(r"^[a-z0-9+]+://", url):
        raise ConfigError(
            f"NEWSLETTER_DATABASE_URL is not a database URL ('{redact_url(url)}'); "
            "write e.g. postgresql+psycopg://user@host/dbname"
        )
    return url


def smtp_url(value: str | None, root: Path) -> str | None:
    if value is not None and urlsplit(value).scheme not in SMTP_SCHEMES:
        raise ConfigError(
            "NEWSLETTER_SMTP_URL must start with smtp://, smtp+starttls:// or smtps://"
        )
    if value is not None:
        check_port(value, "NEWSLETTER_SMTP_URL")
    return value


def base_url(value: str | None, root: Path) -> str:
    url = value or "http://127.0.0.1:8000"
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
        raise ConfigError(f"NEWSLETTER_BASE_URL must be an http(s) URL, not '{url}'")
    return url.rstrip("/") + "/"


def secret_key(value: str | None, root: Path) -> str | None:
    if value is not None and len(value.strip()) < MIN_SECRET_KEY_LENGTH:
        raise ConfigError(
            f"NEWSLETTER_SECRET_KEY is too short ({len(value.strip())} characters, at least "
            f"{MIN_SECRET_KEY_LENGTH}); make one with: "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )
    return value


def bounce_imap_url(value: str | None, root: Path) -> str | None:
    """imaps:// or imap+starttls://; plain imap:// only to this machine (a password in clear
    text over a network is refused)."""
    if value is None:
        return None
    parts = urlsplit(value)
    scheme, host = parts.scheme.lower(), parts.hostname or ""
    loopback = host in ("localhost", "::1") or host.startswith("127.")
    if scheme not in IMAP_SCHEMES or not host or (scheme == "imap" and not loopback):
        raise ConfigError(
            "NEWSLETTER_BOUNCE_IMAP_URL must look like imaps://user:pass@host[:port]/MAILBOX "
            "(or imap+starttls://; plain imap:// only to 127.0.0.1)"
        )
    check_port(value, "NEWSLETTER_BOUNCE_IMAP_URL")
    return value


def sns_topic_arns(value: str | None, root: Path) -> tuple[str, ...]:
    arns = tuple(a.strip() for a in (value or "").split(","))
    arns = tuple(a for a in arns if a)
    for arn in arns:
        if not _SNS_ARN.fullmatch(arn):
            raise ConfigError(
                f"NEWSLETTER_SES_TOPIC_ARN: '{arn}' is not an SNS topic ARN "
                "(arn:aws:sns:REGION:ACCOUNT:NAME; several separated by commas)"
            )
    return arns


def check_port(url: str, name: str) -> None:
    """A port, when the URL names one, is a number from 1 to 65535: refused when the
    settings are read, so `status` says so too, not only the send that fails on it."""
    try:
        port = urlsplit(url).port
    except ValueError:
        port = -1
    if port is not None and not 1 <= port <= 65535:
        raise ConfigError(f"{name}: the port must be a number from 1 to 65535")


def redact_url(url: str) -> str:
    """The URL with its password replaced by ***, for messages (never echo a secret)."""
    authority = r"^([^@]*?//)" if "//" in url.partition("@")[0] else "^()"
    return re.sub(authority + r"([^:@/]*):[^@]*@", r"\1\2:***@", url)


@dataclass(frozen=True)
class Variable:
    name: str  # without the prefix
    meaning: str  # Markdown, one line: the README's "meaning" column
    default: str  # Markdown: what happens when it is unset
    secret: bool = False  # a password or key: never printed, kept out of shell history
    field: str | None = None  # its Environment field; None: read before the settings exist
    read: Reader = text  # the field's value from the variable's

    @property
    def env(self) -> str:
        return PREFIX + self.name


VARIABLES: tuple[Variable, ...] = (
    Variable("CONFIG", "the config file", "`feeds.yaml`"),
    Variable(
        "DATABASE_URL",
        "SQLAlchemy URL (`postgresql+psycopg://…` at scale; install "
        "`newsletter-digest[postgresql]`)",
        "`sqlite:///db/newsletter.sqlite3`",
        secret=True,  # a server URL carries its password
        field="database_url",
        read=database_url,
    ),
    Variable(
        "SMTP_URL",
        "`smtp://[user:pass@]host[:port]`, `smtp+starttls://…`, `smtps://…`",
        "unset: set it, or `NEWSLETTER_OUTBOX`, before anything is sent",
        secret=True,
        field="smtp_url",
        read=smtp_url,
    ),
    Variable(
        "OUTBOX",
        "a folder for `.eml` files instead of a mail server (trials, `make run`)",
        "unset: nothing is written",
        field="outbox",
        read=path,
    ),
    Variable(
        "BASE_URL",
        "public base URL of the web app, used in every link of emails and feeds",
        "`http://127.0.0.1:8000`",
        field="base_url",
        read=base_url,
    ),
    Variable(
        "SECRET_KEY",
        "signs confirm and unsubscribe tokens (at least 32 characters)",
        "generated once into `db/secret.key` (mode 0600)",
        secret=True,
        field="secret_key",
        read=secret_key,
    ),
    Variable(
        "BOUNCE_IMAP_URL",
        "the bounce mailbox: `imaps://user:pass@host[:port]/MAILBOX` or `imap+starttls://…` "
        "(plain `imap://` only to 127.0.0.1); `?deadline=SECONDS` bounds the whole fetch "
        "(default 600)",
        "unset: `run` reads no mailbox",
        secret=True,
        field="bounce_imap_url",
        read=bounce_imap_url,
    ),
    Variable(
        "DKIM_KEY_FILE",
        "the RSA private key (PEM) that DKIM-signs each message, with `newsletter.dkim`",
        "unset: no signature",
        field="dkim_key_file",
        read=path,
    ),
    Variable(
        "SES_TOPIC_ARN",
        "the SNS topic(s) whose SES reports `POST /hooks/ses` accepts (comma-separated)",
        "unset: the hook answers 404",
        field="ses_topic_arns",
        read=sns_topic_arns,
    ),
    Variable(
        "MAILGUN_SIGNING_KEY",
        "Mailgun's webhook signing key, for `POST /hooks/mailgun`",
        "unset: the hook answers 404",
        secret=True,
        field="mailgun_signing_key",
    ),
    Variable("DEBUG", "set to 1 to see a traceback instead of the one-line error", "unset"),
)

NAMES = tuple(v.name for v in VARIABLES)


def load_environment(environ: Mapping[str, str], root: Path) -> Environment:
    """The settings' part of the environment, each value read by its row; an unknown
    ``NEWSLETTER_*`` name is refused, with a did-you-mean."""
    for name in environ:
        hint = unknown_hint(name)
        if hint is not None:
            raise ConfigError(hint)
    # Each reader returns its field's type (tests/test_config_variables.py checks it).
    values: dict[str, Any] = {
        v.field: v.read(environ.get(v.env) or None, root) for v in VARIABLES if v.field
    }
    return Environment(**values)


def unknown_hint(name: str) -> str | None:
    """None when ``name`` is not ours or is known; else a sentence saying what to write."""
    suffix = name.removeprefix(PREFIX)
    if not name.startswith(PREFIX) or suffix in NAMES or suffix.startswith(TEST_PREFIX):
        return None
    guess = difflib.get_close_matches(suffix, NAMES, n=1)
    hint = (
        f"did you mean {PREFIX}{guess[0]}?"
        if guess
        else "known ones are: " + ", ".join(v.env for v in VARIABLES)
    )
    return f"unknown environment variable {name}; {hint}"


def environment_table() -> str:
    """The README's environment section: a Markdown table of every variable."""
    lines = ["| variable | meaning | default |", "|---|---|---|"]
    for v in VARIABLES:
        secret = " *(secret)*" if v.secret else ""
        lines.append(f"| `{v.env}` | {v.meaning}{secret} | {v.default} |")
    return "\n".join(lines) + "\n"
