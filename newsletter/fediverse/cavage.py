"""draft-cavage-http-signatures-12, the dialect Mastodon and most of the fediverse speak.

``Signature: keyId="…",algorithm="rsa-sha256",headers="(request-target) host date digest",
signature="…"``: the named header lines, one per line, ``name: value``, signed with
RSA-SHA256 (PKCS#1 v1.5). ``hs2019`` names the same thing for an RSA key. Written here over
``cryptography`` rather than pulled from a framework (docs/fediverse.md says why).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

ALGORITHMS = ("rsa-sha256", "hs2019")
_PARAM = re.compile(r'\s*([A-Za-z]+)\s*=\s*(?:"([^"]*)"|([0-9]+))\s*(?:,|$)')
MAX_HEADER = 8 * 1024


class CavageError(ValueError):
    """The Signature header is missing a part, malformed, or does not verify."""


@dataclass(frozen=True)
class CavageSignature:
    key_id: str
    algorithm: str
    headers: tuple[str, ...]  # the signed header names, lower-case, in order
    signature: bytes
    created: int | None = None
    expires: int | None = None


def parse(header: str) -> CavageSignature:
    if len(header) > MAX_HEADER:
        raise CavageError("the Signature header is too long")
    params: dict[str, str] = {}
    position = 0
    while position < len(header):
        match = _PARAM.match(header, position)
        if match is None or match.end() == position:
            raise CavageError('the Signature header is not a list of name="value"')
        params[match[1].lower()] = match[2] if match[2] is not None else match[3]
        position = match.end()
    if "keyid" not in params or "signature" not in params:
        raise CavageError("the Signature header has no keyId or no signature")
    algorithm = params.get("algorithm", "hs2019").lower()
    if algorithm not in ALGORITHMS:
        raise CavageError(f"signature algorithm {algorithm!r} is not one we verify")
    try:
        signature = base64.b64decode(params["signature"], validate=True)
    except (binascii.Error, ValueError):
        raise CavageError("the signature is not base64") from None
    return CavageSignature(
        key_id=params["keyid"],
        algorithm=algorithm,
        headers=tuple(params.get("headers", "date").lower().split()),
        signature=signature,
        created=int(params["created"]) if "created" in params else None,
        expires=int(params["expires"]) if "expires" in params else None,
    )


def signing_string(
    names: Sequence[str],
    method: str,
    target: str,
    headers: Mapping[str, str],
    created: int | None = None,
    expires: int | None = None,
) -> str:
    """The lines signed: ``target`` is the path and query; ``headers`` are looked up by
    lower-case name (a missing one refuses, it cannot have been signed)."""
    lines = []
    for name in names:
        if name == "(request-target)":
            value = f"{method.lower()} {target}"
        elif name in ("(created)", "(expires)"):
            number = created if name == "(created)" else expires
            if number is None:
                raise CavageError(f"{name} is signed but the header gives no value for it")
            value = str(number)
        elif name in headers:
            value = headers[name].strip()
        else:
            raise CavageError(f"the signed header {name!r} is missing")
        lines.append(f"{name}: {value}")
    return "\n".join(lines)


def sign(
    key: rsa.RSAPrivateKey,
    key_id: str,
    method: str,
    target: str,
    headers: Mapping[str, str],
) -> str:
    """The Signature header over ``headers`` (lower-case names, in this order)."""
    names = ("(request-target)", *headers)
    text = signing_string(names, method, target, headers)
    signature = key.sign(text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    return (
        f'keyId="{key_id}",algorithm="rsa-sha256",headers="{" ".join(names)}",'
        f'signature="{base64.b64encode(signature).decode("ascii")}"'
    )


def verify(
    parsed: CavageSignature,
    key: rsa.RSAPublicKey,
    method: str,
    target: str,
    headers: Mapping[str, str],
) -> None:
    """Raise CavageError unless ``parsed`` signs this request with ``key``."""
    text = signing_string(parsed.headers, method, target, headers, parsed.created, parsed.expires)
    try:
        key.verify(parsed.signature, text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise CavageError("the signature does not verify with the sender's key") from None
