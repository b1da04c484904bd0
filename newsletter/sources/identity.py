"""Stable keys for entries: the same article gets the same key in any feed, on every run.

guid:<guid>              a guid that is a URI on its own (http..., urn:, tag:)
guid:<feed key>#<guid>   a guid that only means something inside its feed ("123")
link:<normalized link>   no guid
hash:<sha256>            neither: feed key, title and date
guid-sha256:<sha256>     (and link-sha256:) when the key would pass MAX_KEY characters
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

MAX_KEY = 512
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
# URIs without "//" that are still meant to be unique across the web.
_GLOBAL_SCHEMES = frozenset({"urn", "tag", "uuid", "doi", "info"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


def entry_key(
    feed_key: str, guid: str | None, link: str | None, title: str, date: datetime | None
) -> str:
    """The key of one entry; see the module docstring for the forms it takes."""
    if guid:
        if _is_global(guid):
            # A fragment can be what tells two guids apart ("page#post-1"): keep it.
            return _bounded("guid", normalize_link(guid, keep_fragment=True) or guid)
        return _bounded("guid", f"{feed_key}#{guid}")
    if link and (normalized := normalize_link(link)):
        return _bounded("link", normalized)
    stamp = date.isoformat() if date else ""
    return "hash:" + _sha256("\x00".join((feed_key, title, stamp)))


def normalize_link(url: str, *, keep_fragment: bool = False) -> str | None:
    """``url`` in a canonical form, or None if it is not an http(s) URL.

    Lower-case scheme and host, no default port, no fragment, no ``utm_*`` tracking
    parameters; path and the other parameters kept as written, in order.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = parts.hostname  # lower-cased by urlsplit; user info dropped
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    if ":" in host:
        host = f"[{host}]"  # IPv6 literal
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    query = "&".join(p for p in parts.query.split("&") if p and not _is_tracking(p))
    fragment = parts.fragment if keep_fragment else ""
    return urlunsplit((scheme, host, parts.path or "/", query, fragment))


def _is_global(guid: str) -> bool:
    match = _SCHEME.match(guid)
    if not match or len(guid) == match.end():
        return False
    return guid[match.end() :].startswith("//") or match.group(1).lower() in _GLOBAL_SCHEMES


def _is_tracking(parameter: str) -> bool:
    return parameter.split("=", 1)[0].lower().startswith("utm_")


def _bounded(kind: str, value: str) -> str:
    key = f"{kind}:{value}"
    return key if len(key) <= MAX_KEY else f"{kind}-sha256:{_sha256(value)}"


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
