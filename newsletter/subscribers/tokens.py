"""Purpose-bound tokens for the links of emails, and the key that signs them.

A token names a subscriber without giving them away: 29 lower-case base32 characters made of
an 80-bit tag, HMAC-SHA256(key, purpose|id|address), and the subscriber id (8 bytes, the top
3 zero) encrypted with a pad derived from the purpose and the tag (a synthetic-IV
construction: deterministic, so the same link each week, and opaque, so a forwarded digest
shows neither the address nor the row id). Reading one recovers the id, and the zero bytes
tell a token of another purpose or key at once (but for 1 in 16 million); the tag is then
checked against the address on file, so a token is only good for its own purpose, key and
address. Being case-insensitive, it also survives
in the local part of the ``mailto:`` unsubscribe address, which relays may lower-case.

Links sent before were itsdangerous-signed ``[id, "address"]`` (readable base64): they still
verify, read the old way. Tokens carry no expiry: an unsubscribe link in a years-old email
still works.

The key is ``NEWSLETTER_SECRET_KEY``, else ``db/secret.key``, generated once with mode 0600.
Changing it invalidates every link already sent.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import quote, urlsplit, urlunsplit

from itsdangerous import BadData, URLSafeSerializer

from newsletter.errors import NewsletterError

Purpose = Literal["confirm", "unsubscribe", "preferences"]
PURPOSES: tuple[Purpose, ...] = ("confirm", "unsubscribe", "preferences")
KEY_FILE = "secret.key"
MIN_KEY_LENGTH = 16


class SecretKeyError(NewsletterError):
    """The signing key cannot be read or created."""


TAG_BYTES = 10  # 80 bits: guessing one takes 2**79 tries on average
ID_BYTES = 8
MAX_ID = 2**40 - 1  # the top 3 bytes of the id are zero: a check that needs no row


@dataclass(frozen=True)
class TokenClaim:
    """What a token says: a subscriber id, and a check that it was made for their address."""

    subscriber_id: int
    matches: Callable[[str], bool]  # email_key on file -> made for it?


class Tokens:
    """Makes and reads the tokens of one key."""

    def __init__(self, key: str) -> None:
        # The old format's readers, kept so that links already sent keep working.
        self._serializers = {p: URLSafeSerializer(key, salt=p) for p in PURPOSES}
        self._key = hashlib.sha256(b"newsletter token v2|" + key.encode()).digest()

    def make(self, purpose: Purpose, subscriber_id: int, email_key: str) -> str:
        tag = self._tag(purpose, subscriber_id, email_key)
        pad = self._pad(purpose, tag)
        sealed = bytes(a ^ b for a, b in zip(_id_bytes(subscriber_id), pad, strict=True))
        return base64.b32encode(tag + sealed).decode("ascii").rstrip("=").lower()

    def read(self, purpose: Purpose, token: str) -> TokenClaim | None:
        """What the token claims, or None for a token that is forged, altered, cut short or
        made for another purpose; ``matches`` must then be checked against the row."""
        if "." in token:
            return self._read_signed(purpose, token)
        raw = _b32decode(token)
        if raw is None or len(raw) != TAG_BYTES + ID_BYTES:
            return None
        tag, sealed = raw[:TAG_BYTES], raw[TAG_BYTES:]
        subscriber_id = int.from_bytes(
            bytes(a ^ b for a, b in zip(sealed, self._pad(purpose, tag), strict=True)), "big"
        )
        if subscriber_id > MAX_ID:
            return None  # made for another purpose or with another key, or damaged

        def matches(email_key: str) -> bool:
            return hmac.compare_digest(tag, self._tag(purpose, subscriber_id, email_key))

        return TokenClaim(subscriber_id, matches)

    def _tag(self, purpose: Purpose, subscriber_id: int, email_key: str) -> bytes:
        message = f"{purpose}|{subscriber_id}|{email_key}".encode()
        return hmac.digest(self._key, message, "sha256")[:TAG_BYTES]

    def _pad(self, purpose: Purpose, tag: bytes) -> bytes:
        return hmac.digest(self._key, f"id|{purpose}|".encode() + tag, "sha256")[:ID_BYTES]

    def _read_signed(self, purpose: Purpose, token: str) -> TokenClaim | None:
        """A token of the old format: itsdangerous-signed [id, email_key]."""
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
            signed_key: str = value[1]
            return TokenClaim(value[0], lambda email_key: email_key == signed_key)
        return None

    def make_signed(self, purpose: Purpose, subscriber_id: int, email_key: str) -> str:
        """A token of the old format, as links sent before carry (for tests of them)."""
        return self._serializers[purpose].dumps([subscriber_id, email_key])


def _id_bytes(subscriber_id: int) -> bytes:
    if not 0 <= subscriber_id <= MAX_ID:
        raise ValueError(f"subscriber id out of range: {subscriber_id}")
    return subscriber_id.to_bytes(ID_BYTES, "big")


def _b32decode(token: str) -> bytes | None:
    if not token.isascii() or not token.isalnum():
        return None
    padded = token.upper() + "=" * (-len(token) % 8)
    try:
        return base64.b32decode(padded)
    except (binascii.Error, ValueError):
        return None


class Links:
    """The links of emails: ``<base_url>confirm/<token>``, ``<base_url>unsubscribe/<token>``,
    and ``mailto:local+<token>@domain?subject=unsubscribe`` when given a mailbox.

    The base URL is made plain ASCII once (IDNA host, percent-encoded path), because the
    unsubscribe link also goes into a header."""

    def __init__(self, base_url: str, tokens: Tokens, mailbox: str | None = None) -> None:
        self.base = ascii_url(base_url).rstrip("/") + "/"
        self.tokens = tokens
        self.mailbox = mailbox.rpartition("@") if mailbox else None

    def confirm(self, subscriber_id: int, email_key: str) -> str:
        return self.base + "confirm/" + self.tokens.make("confirm", subscriber_id, email_key)

    def preferences(self, subscriber_id: int, email_key: str) -> str:
        token = self.tokens.make("preferences", subscriber_id, email_key)
        return self.base + "preferences/" + token

    def unsubscribe(self, subscriber_id: int, email_key: str) -> str:
        return self.unsubscribe_ways(subscriber_id, email_key)[0]

    def unsubscribe_ways(self, subscriber_id: int, email_key: str) -> tuple[str, str | None]:
        """The unsubscribe URL and, with a mailbox, the mailto: URL, one token for both."""
        token = self.tokens.make("unsubscribe", subscriber_id, email_key)
        url = self.base + "unsubscribe/" + token
        if self.mailbox is None:
            return url, None
        local, _, domain = self.mailbox
        return url, f"mailto:{local}+{token}@{domain}?subject=unsubscribe"


def ascii_url(url: str) -> str:
    """An http(s) URL as ASCII with no spaces or control characters."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").encode("idna").decode("ascii")
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    path = quote(parts.path, safe="/%:@!$&'()*+,;=~")
    return urlunsplit((parts.scheme, netloc, path, "", ""))


def load_tokens(configured: str | None, db_dir: Path) -> Tokens:
    """The tokens of :func:`secret_key`'s key."""
    return Tokens(secret_key(configured, db_dir))


def secret_key(configured: str | None, db_dir: Path) -> str:
    """The signing key: ``configured`` (NEWSLETTER_SECRET_KEY) when set, else the one in
    ``db_dir``'s key file (created there first when there is none)."""
    if configured:
        return configured
    return key_from_file(db_dir / KEY_FILE)


def check_signing_key(configured: str | None, db_dir: Path, links_sent: Callable[[], bool]) -> None:
    """Refuse to go on when db/secret.key is gone but links it signed are out in emails.

    Generating a new key then would silently break every unsubscribe link already sent
    (people could not leave: a legal problem, not only a bug). The owner decides instead:
    restore the key, or create a new one knowingly. ``configured``: NEWSLETTER_SECRET_KEY,
    which, when set, is the key (the file is then not read)."""
    if configured:
        return
    path = db_dir / KEY_FILE
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
