"""Signed, purpose-bound tokens for the links of emails, and the key that signs them.

A token carries the subscriber's id and normalized address, signed with itsdangerous under a
salt per purpose, so a confirm token is never accepted as an unsubscribe token (nor the
reverse). Tokens carry no expiry: an unsubscribe link in a years-old email still works.

The key is ``NEWSLETTER_SECRET_KEY``, else ``db/secret.key``, generated once with mode 0600.
Changing it invalidates every link already sent.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Literal
from urllib.parse import quote, urlsplit, urlunsplit

from itsdangerous import BadData, URLSafeSerializer

from newsletter.config import Settings
from newsletter.errors import NewsletterError

Purpose = Literal["confirm", "unsubscribe"]
PURPOSES: tuple[Purpose, ...] = ("confirm", "unsubscribe")
KEY_FILE = "secret.key"
MIN_KEY_LENGTH = 16


class SecretKeyError(NewsletterError):
    """The signing key cannot be read or created."""


class Tokens:
    """Makes and reads the tokens of one key."""

    def __init__(self, key: str) -> None:
        self._serializers = {p: URLSafeSerializer(key, salt=p) for p in PURPOSES}
        # What dumps() does, with the signer built once (a send makes a token per message).
        self._signers = {p: s.make_signer(p) for p, s in self._serializers.items()}

    def make(self, purpose: Purpose, subscriber_id: int, email_key: str) -> str:
        payload = self._serializers[purpose].dump_payload([subscriber_id, email_key])
        return self._signers[purpose].sign(payload).decode("ascii")

    def read(self, purpose: Purpose, token: str) -> tuple[int, str] | None:
        """(subscriber id, email key), or None for a token that is forged, altered, cut
        short or made for another purpose."""
        try:
            value = self._serializers[purpose].loads(token)
        except BadData:
            return None
        if (
            isinstance(value, list)
            and len(value) == 2
            and isinstance(value[0], int)
            and isinstance(value[1], str)
        ):
            return value[0], value[1]
        return None


class Links:
    """The links of emails: ``<base_url>confirm/<token>``, ``<base_url>unsubscribe/<token>``.

    The base URL is made plain ASCII once (IDNA host, percent-encoded path), because the
    unsubscribe link also goes into a header."""

    def __init__(self, base_url: str, tokens: Tokens) -> None:
        self.base = ascii_url(base_url).rstrip("/") + "/"
        self.tokens = tokens

    def confirm(self, subscriber_id: int, email_key: str) -> str:
        return self.base + "confirm/" + self.tokens.make("confirm", subscriber_id, email_key)

    def unsubscribe(self, subscriber_id: int, email_key: str) -> str:
        token = self.tokens.make("unsubscribe", subscriber_id, email_key)
        return self.base + "unsubscribe/" + token


def ascii_url(url: str) -> str:
    """An http(s) URL as ASCII with no spaces or control characters."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").encode("idna").decode("ascii")
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    path = quote(parts.path, safe="/%:@!$&'()*+,;=~")
    return urlunsplit((parts.scheme, netloc, path, "", ""))


def load_tokens(settings: Settings) -> Tokens:
    return Tokens(secret_key(settings))


def secret_key(settings: Settings) -> str:
    if settings.env.secret_key:
        return settings.env.secret_key
    return key_from_file(settings.db_dir / KEY_FILE)


def check_signing_key(settings: Settings, links_sent: Callable[[], bool]) -> None:
    """Refuse to go on when db/secret.key is gone but links it signed are out in emails.

    Generating a new key then would silently break every unsubscribe link already sent
    (people could not leave: a legal problem, not only a bug). The owner decides instead:
    restore the key, or create a new one knowingly."""
    if settings.env.secret_key:
        return
    path = settings.db_dir / KEY_FILE
    if not path.exists() and links_sent():
        raise SecretKeyError(
            f"the signing key {path} is missing, but emails with links it signed were already "
            f"sent; restore it from a backup (or set NEWSLETTER_SECRET_KEY to it), or accept "
            f"that those links stop working and create a new key with: "
            f"python3 -c 'import secrets; print(secrets.token_urlsafe(32))' > {path}"
        )


def key_from_file(path: Path) -> str:
    """Read the key file, creating it first if it does not exist.

    A new key is written to a private temporary file (O_CREAT|O_EXCL, mode 0600) and
    published with a hard link, which fails if the name exists: so the file is never
    seen half-written, and processes racing to create it all end up with the winner's key.
    """
    if not path.exists():
        _create_key_file(path)
    try:
        key = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise SecretKeyError(f"cannot read the signing key {path}: {exc}") from None
    if len(key) < MIN_KEY_LENGTH:
        raise SecretKeyError(
            f"the signing key {path} is empty or too short; delete it to generate a new one "
            "(links in emails already sent will stop working) or set NEWSLETTER_SECRET_KEY"
        )
    return key


def _create_key_file(path: Path) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as file:
            file.write(secrets.token_urlsafe(32) + "\n")
            file.flush()
            os.fsync(file.fileno())
        # FileExistsError: another process published its key first; everyone uses that one.
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    except OSError as exc:
        raise SecretKeyError(f"cannot create the signing key {path}: {exc}") from None
    finally:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
