"""HTTP signatures: verifying what reaches the inbox, signing what we send.

Incoming, either dialect: RFC 9421 (``Signature-Input``; http-message-signatures verifies it,
its body through ``Content-Digest``) or draft-cavage (``Signature``; :mod:`cavage`, its body
through ``Digest``). Either way the signature must cover the method and target, the host
and the time, and the body's digest must match the bytes received; the time must be inside
Mastodon's window (12 hours old at most, an hour ahead at most), so our answers match the
servers we talk with. The key is looked up by its id (fetched with a signed GET and cached
by :mod:`keycache`); when a cached key fails, it is fetched once more (the sender may have
changed it) before the request is refused.

Outgoing: draft-cavage, which every server reads (Mastodon reads RFC 9421 only since 4.5).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import http_message_signatures as hms
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from http_message_signatures import algorithms as hms_algorithms

import newsletter.fediverse.cavage as cavage
from newsletter.fediverse.keys import private_key

MAX_AGE = timedelta(hours=12)
MAX_AHEAD = timedelta(hours=1)


class SignatureRefused(Exception):
    """Why a request is not taken as signed: one sentence, answered with 401."""


@dataclass(frozen=True)
class RemoteKey:
    key_id: str
    owner: str  # the actor whose key it is: the only actor the request may speak for
    public_pem: str
    inbox: str | None = None  # the owner's, read with its key (a Follow needs no second fetch)
    shared_inbox: str | None = None
    username: str | None = None  # the owner's preferredUsername (a mention names it)


# key id, refresh (True: do not trust the cache) -> the key; raises SignatureRefused.
KeyLookup = Callable[[str, bool], RemoteKey]


@dataclass(frozen=True)
class Incoming:
    """A request as it reached us: ``url`` is the public URL (the base URL's scheme and host,
    the request's path and query); ``fields`` the header lines as received."""

    method: str
    url: str
    fields: Sequence[tuple[str, str]]
    body: bytes
    headers: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        merged: dict[str, str] = {}
        for name, value in self.fields:
            key = name.lower()
            merged[key] = f"{merged[key]}, {value}" if key in merged else value
        object.__setattr__(self, "headers", merged)

    @property
    def target(self) -> str:
        parts = urlsplit(self.url)
        return parts.path + (f"?{parts.query}" if parts.query else "")


def verify_request(incoming: Incoming, now: datetime, lookup: KeyLookup) -> RemoteKey:
    """The key that signed ``incoming``; SignatureRefused when none did, or not well enough."""
    if "signature-input" in incoming.headers:
        key_id = _rfc9421_key_id(incoming)

        def check(key: RemoteKey) -> None:
            _rfc9421(incoming, now, key)

    elif "signature" in incoming.headers:
        parsed = _cavage_parse(incoming, now)
        key_id = parsed.key_id

        def check(key: RemoteKey) -> None:
            _cavage(incoming, parsed, key)

    else:
        raise SignatureRefused("the request is not signed")
    key = lookup(key_id, False)
    try:
        check(key)
    except SignatureRefused:
        fresh = lookup(key_id, True)
        if fresh.public_pem == key.public_pem:
            raise
        check(fresh)
        key = fresh
    return key


def _cavage_parse(incoming: Incoming, now: datetime) -> cavage.CavageSignature:
    try:
        parsed = cavage.parse(incoming.headers["signature"])
    except cavage.CavageError as exc:
        raise SignatureRefused(str(exc)) from None
    signed = set(parsed.headers)
    missing = {"(request-target)", "host"} - signed
    if not signed & {"date", "(created)"}:
        missing.add("date")
    if incoming.method == "POST" and "digest" not in signed:
        missing.add("digest")
    if missing:
        raise SignatureRefused("the signature does not cover " + ", ".join(sorted(missing)))
    if "date" in signed:
        _check_time(_http_date(incoming.headers.get("date", "")), now)
    if parsed.created is not None:
        _check_time(datetime.fromtimestamp(parsed.created, now.tzinfo), now)
    if incoming.method == "POST":
        _check_digest(incoming.headers.get("digest", ""), incoming.body)
    return parsed


def _cavage(incoming: Incoming, parsed: cavage.CavageSignature, key: RemoteKey) -> None:
    try:
        cavage.verify(parsed, _public_key(key), incoming.method, incoming.target, incoming.headers)
    except cavage.CavageError as exc:
        raise SignatureRefused(str(exc)) from None


def _http_date(text: str) -> datetime:
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        raise SignatureRefused("the Date header is not an HTTP date") from None
    if when.tzinfo is None:
        raise SignatureRefused("the Date header has no time zone")
    return when


def _check_time(when: datetime, now: datetime) -> None:
    if when < now - MAX_AGE or when > now + MAX_AHEAD:
        raise SignatureRefused(f"the signature's time ({when:%Y-%m-%d %H:%M} UTC) is too far off")


def _check_digest(header: str, body: bytes) -> None:
    """``Digest: SHA-256=<base64>`` (RFC 3230, as draft-cavage peers send it)."""
    expected = base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name.lower() == "sha-256":
            if hmac.compare_digest(value.strip(), expected):
                return
            raise SignatureRefused("the body does not match its Digest")
    raise SignatureRefused("the request has no SHA-256 Digest of its body")


def _public_key(key: RemoteKey) -> rsa.RSAPublicKey:
    try:
        public = serialization.load_pem_public_key(key.public_pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise SignatureRefused(f"the key {key.key_id} is not a PEM public key") from None
    if not isinstance(public, rsa.RSAPublicKey):
        raise SignatureRefused(f"the key {key.key_id} is not an RSA key")
    return public


@dataclass
class _Message:
    """What http-message-signatures reads of a request."""

    method: str
    url: str
    headers: Any


class _OneKey(hms.HTTPSignatureKeyResolver):
    def __init__(self, key: RemoteKey) -> None:
        self.key = key

    def resolve_public_key(self, key_id: str) -> rsa.RSAPublicKey:
        if key_id != self.key.key_id:
            raise SignatureRefused("the signature names another key")
        return _public_key(self.key)


def _rfc9421_key_id(incoming: Incoming) -> str:
    value = incoming.headers["signature-input"]
    marker = 'keyid="'
    start = value.find(marker)
    if start < 0:
        raise SignatureRefused("the Signature-Input names no keyid")
    end = value.find('"', start + len(marker))
    return value[start + len(marker) : end]


def _rfc9421(incoming: Incoming, now: datetime, key: RemoteKey) -> None:
    verifier = hms.HTTPMessageVerifier(
        signature_algorithm=hms_algorithms.RSA_V1_5_SHA256, key_resolver=_OneKey(key)
    )
    message = _Message(incoming.method, incoming.url, _Fields(incoming.fields))
    try:
        results = verifier.verify(
            message,
            max_age=None,  # checked below against our clock, not the library's
            require_components=("@method", "@target-uri"),
            body=incoming.body,
        )
    except (hms.HTTPMessageSignaturesException, ValueError) as exc:
        raise SignatureRefused(f"RFC 9421 signature refused: {exc}") from None
    for result in results:
        created = result.parameters.get("created")
        if not isinstance(created, int):
            raise SignatureRefused("the RFC 9421 signature has no created time")
        _check_time(datetime.fromtimestamp(created, now.tzinfo), now)


class _Fields:
    """Header lines in the shape http-message-signatures reads (items() keeps repeats)."""

    def __init__(self, fields: Sequence[tuple[str, str]]) -> None:
        self._fields = list(fields)

    def items(self) -> list[tuple[str, str]]:
        return self._fields

    def __iter__(self) -> Any:
        return iter(dict.fromkeys(name for name, _ in self._fields))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and any(n.lower() == name.lower() for n, _ in self._fields)


def signed_headers(
    private_pem: str, key_id: str, method: str, url: str, body: bytes | None, now: datetime
) -> dict[str, str]:
    """The headers of a request we send: Host, Date (and Digest of a body), and their
    draft-cavage Signature."""
    parts = urlsplit(url)
    headers = {"host": parts.netloc, "date": format_datetime(now, usegmt=True)}
    if body is not None:
        digest = base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")
        headers["digest"] = f"SHA-256={digest}"
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    signature = cavage.sign(private_key(private_pem), key_id, method, target or "/", headers)
    return {**headers, "signature": signature}


def signer_for(
    private_pem: str, key_id: str
) -> Callable[[str, str, bytes | None, datetime], Mapping[str, str]]:
    """``signed_headers`` with our key bound: what the HTTP layer calls per request."""

    def sign(method: str, url: str, body: bytes | None, now: datetime) -> Mapping[str, str]:
        return signed_headers(private_pem, key_id, method, url, body, now)

    return sign
