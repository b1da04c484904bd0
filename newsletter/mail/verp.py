"""VERP return paths: the envelope sender names the delivery, so a bounce names it back.

A digest to subscriber 7 goes out with ``MAIL FROM:<bounces+TOKEN@example.com>``; whatever
the remote server makes of the report later, the address it bounces to carries TOKEN, and
TOKEN maps to exactly one delivery (one subscriber, one digest) even when the report quotes
nothing else we can read.

A token is opaque and signed: the kind and the row id (8 bytes) pass through a four-round
Feistel permutation keyed from the secret key, then 6 bytes of HMAC-SHA256 over the result
follow; all of it in lower-case base32, because some servers lower-case local parts and
RFC 5321 keeps a local part under 64 octets. So a token gives away neither the id nor the
count of subscribers, and one that was altered or invented is refused (1 in 2^48 to guess).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import Literal

from newsletter.config import Settings
from newsletter.subscribers.tokens import secret_key

VerpKind = Literal["digest", "confirm", "unsubscribe", "welcome"]
_KIND_BYTE: dict[VerpKind, int] = {"digest": 1, "confirm": 2, "unsubscribe": 3, "welcome": 4}
_BYTE_KIND = {byte: kind for kind, byte in _KIND_BYTE.items()}
_TAG = 6
_ROUNDS = 4
TOKEN_LENGTH = 23  # base32 of 8 + 6 bytes, unpadded
TOKEN = re.compile(rf"[a-z2-7]{{{TOKEN_LENGTH}}}", re.IGNORECASE)
UNSUBSCRIBE_TAG = "unsubscribe-"  # local part: <base>+unsubscribe-<token>


@dataclass(frozen=True)
class VerpRef:
    """What a token names: a delivery row (digest), or a subscriber (confirm, unsubscribe,
    welcome)."""

    kind: VerpKind
    id: int


class Verp:
    """Makes and reads the tokens of one key, in addresses based on ``base``
    (``bounces@example.com``)."""

    def __init__(self, key: str, base: str) -> None:
        self.local, _, self.domain = base.rpartition("@")
        secret = key.encode()
        self._cipher = hmac.new(secret, b"newsletter verp cipher", hashlib.sha256).digest()
        self._tagger = hmac.new(secret, b"newsletter verp tag", hashlib.sha256).digest()
        local = re.escape(self.local)
        self._in_address = re.compile(
            rf"(?<![\w.+-]){local}\+({UNSUBSCRIBE_TAG})?({TOKEN.pattern})@", re.IGNORECASE
        )

    def token(self, ref: VerpRef) -> str:
        if not 0 < ref.id < 2**56:
            raise ValueError(f"a VERP id must be positive and under 2**56, not {ref.id}")
        block = self._permute(bytes([_KIND_BYTE[ref.kind]]) + ref.id.to_bytes(7, "big"))
        raw = block + self._tag(block)
        return base64.b32encode(raw).decode("ascii").rstrip("=").lower()

    def address(self, kind: VerpKind, row_id: int) -> str:
        """The return path of one message: ``bounces+TOKEN@domain``."""
        return f"{self.local}+{self.token(VerpRef(kind, row_id))}@{self.domain}"

    def unsubscribe_address(self, subscriber_id: int) -> str:
        """Where a ``mailto:`` unsubscribe goes: ``bounces+unsubscribe-TOKEN@domain``."""
        token = self.token(VerpRef("unsubscribe", subscriber_id))
        return f"{self.local}+{UNSUBSCRIBE_TAG}{token}@{self.domain}"

    def read(self, token: str) -> VerpRef | None:
        """What a token names, or None for one that is altered, forged or cut short."""
        if not TOKEN.fullmatch(token):
            return None
        raw = base64.b32decode(token.upper() + "=" * (-len(token) % 8))
        block, tag = raw[:8], raw[8:]
        if not hmac.compare_digest(tag, self._tag(block)):
            return None
        plain = self._permute(block, inverse=True)
        kind = _BYTE_KIND.get(plain[0])
        number = int.from_bytes(plain[1:], "big")
        return VerpRef(kind, number) if kind and number else None

    def find(self, text: str) -> list[tuple[VerpRef, bool]]:
        """Every valid token in addresses of ours found in ``text``, in order, each once,
        with True when it was an unsubscribe address (``+unsubscribe-TOKEN``)."""
        found: list[tuple[VerpRef, bool]] = []
        for match in self._in_address.finditer(text):
            ref = self.read(match[2])
            item = (ref, bool(match[1])) if ref else None
            if item and item not in found:
                found.append(item)
        return found

    def find_tokens(self, text: str) -> list[VerpRef]:
        """Valid bare tokens anywhere in ``text`` (an unsubscribe subject line)."""
        refs = []
        for word in re.findall(r"[A-Za-z2-7]+", text):
            ref = self.read(word) if len(word) == TOKEN_LENGTH else None
            if ref and ref not in refs:
                refs.append(ref)
        return refs

    def _tag(self, block: bytes) -> bytes:
        return hmac.new(self._tagger, block, hashlib.sha256).digest()[:_TAG]

    def _permute(self, block: bytes, inverse: bool = False) -> bytes:
        """A keyed permutation of 8 bytes (Feistel; each round function is HMAC-SHA256)."""
        left, right = block[:4], block[4:]
        rounds = range(_ROUNDS - 1, -1, -1) if inverse else range(_ROUNDS)
        for n in rounds:
            if inverse:
                left, right = _xor(right, self._round(n, left)), left
            else:
                left, right = right, _xor(left, self._round(n, right))
        return left + right

    def _round(self, n: int, half: bytes) -> bytes:
        return hmac.new(self._cipher, bytes([n]) + half, hashlib.sha256).digest()[:4]


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


def verp_for(settings: Settings) -> Verp | None:
    """The VERP of this site, or None when newsletter.bounce_address is not set (then every
    message goes out with the From address as its return path)."""
    address = settings.newsletter.bounce_address
    return Verp(secret_key(settings.env.secret_key, settings.db_dir), address) if address else None
