"""The ``NEWSLETTER_*`` environment variables, declared once.

The loader refuses a name missing here (with a did-you-mean), ``Environment`` has a field for
each variable that reaches the settings (``tests/test_config_env.py`` checks both ways), and
the README's environment table is generated from this list with cog (``make docs``), so a new
variable is one entry here plus its check in ``load.py``.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

PREFIX = "NEWSLETTER_"
TEST_PREFIX = "TEST_"  # NEWSLETTER_TEST_*: the test suite's own knobs, never the product's


@dataclass(frozen=True)
class Variable:
    name: str  # without the prefix
    meaning: str  # Markdown, one line: the README's "meaning" column
    default: str  # Markdown: what happens when it is unset
    secret: bool = False  # a password or key: never printed, kept out of shell history
    field: str | None = None  # its Environment field; None: read before the settings exist

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
    ),
    Variable(
        "SMTP_URL",
        "`smtp://[user:pass@]host[:port]`, `smtp+starttls://…`, `smtps://…`",
        "unset: set it, or `NEWSLETTER_OUTBOX`, before anything is sent",
        secret=True,
        field="smtp_url",
    ),
    Variable(
        "OUTBOX",
        "a folder for `.eml` files instead of a mail server (trials, `make run`)",
        "unset: nothing is written",
        field="outbox",
    ),
    Variable(
        "BASE_URL",
        "public base URL of the web app, used in every link of emails and feeds",
        "`http://127.0.0.1:8000`",
        field="base_url",
    ),
    Variable(
        "SECRET_KEY",
        "signs confirm and unsubscribe tokens (at least 32 characters)",
        "generated once into `db/secret.key` (mode 0600)",
        secret=True,
        field="secret_key",
    ),
    Variable(
        "BOUNCE_IMAP_URL",
        "the bounce mailbox: `imaps://user:pass@host[:port]/MAILBOX` or `imap+starttls://…` "
        "(plain `imap://` only to 127.0.0.1); `?deadline=SECONDS` bounds the whole fetch "
        "(default 600)",
        "unset: `run` reads no mailbox",
        secret=True,
        field="bounce_imap_url",
    ),
    Variable(
        "DKIM_KEY_FILE",
        "the RSA private key (PEM) that DKIM-signs each message, with `newsletter.dkim`",
        "unset: no signature",
        field="dkim_key_file",
    ),
    Variable(
        "SES_TOPIC_ARN",
        "the SNS topic(s) whose SES reports `POST /hooks/ses` accepts (comma-separated)",
        "unset: the hook answers 404",
        field="ses_topic_arns",
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
