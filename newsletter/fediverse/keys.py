"""The account's RSA key pair: made once (2048 bits, what Mastodon makes and every server
reads), kept in the database (it moves with the site's data, and every machine of a
PostgreSQL site signs with the same key), never replaced: followers' servers keep its public
half, and a new key would read as a stranger."""

from __future__ import annotations

from functools import cache

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from newsletter.errors import ConfigError

KEY_BITS = 2048


def new_private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


@cache
def private_key(pem: str) -> rsa.RSAPrivateKey:
    """The key of a PEM (parsed once per process: parsing RSA costs milliseconds)."""
    key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigError("the fediverse account's key in the database is not an RSA key")
    return key


def public_key_pem(pem: str) -> str:
    """The public half, as the actor publishes it (SubjectPublicKeyInfo PEM)."""
    return (
        private_key(pem)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )
