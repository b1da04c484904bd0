"""feeds.yaml's ``fediverse:`` section: the site as one fediverse account.

Off unless the section is there (and not ``enabled: false``). The account lives at the web
app's base URL, so that URL must be https: a fediverse server refuses to follow an http
actor, and signatures over plain http prove little. Only a base URL on this machine
(127.0.0.1, localhost: a trial, the tests) may be http.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import yaml

from newsletter.config.nodes import Doc
from newsletter.config.settings import Fediverse

KEYS = ("enabled", "username", "name", "summary", "allow_private_addresses")
# What Mastodon accepts in a username: letters, digits, underscores (and dots and dashes
# inside); WebFinger's acct: URI then needs no escaping.
USERNAME = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,28}[A-Za-z0-9_])?")
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def fediverse(doc: Doc, node: yaml.Node, base_url: str) -> Fediverse | None:
    keys = doc.mapping(node, "fediverse", KEYS)
    if "enabled" in keys and not doc.boolean(keys["enabled"], "fediverse.enabled"):
        return None
    username = doc.text(keys["username"], "fediverse.username") if "username" in keys else "news"
    if not USERNAME.fullmatch(username):
        raise doc.error(
            keys["username"],
            "fediverse.username must be letters, digits and underscores (up to 30), like news",
        )
    parts = urlsplit(base_url)
    if parts.scheme != "https" and parts.hostname not in LOOPBACK:
        raise doc.error(
            node,
            f"fediverse needs an https NEWSLETTER_BASE_URL (now '{base_url}'): fediverse "
            "servers follow https accounts only",
        )
    private = "allow_private_addresses"
    return Fediverse(
        username=username,
        name=doc.text(keys["name"], "fediverse.name", limit=200) if "name" in keys else None,
        summary=doc.text(keys["summary"], "fediverse.summary") if "summary" in keys else None,
        allow_private_addresses=doc.boolean(keys[private], f"fediverse.{private}")
        if private in keys
        else False,
        line=node.start_mark.line + 1,
    )
