"""The deliverability keys of feeds.yaml's ``newsletter:``: the mailto unsubscribe address
and DKIM (the key file and the webhooks' secrets are environment variables: variables.py)."""

from __future__ import annotations

import re
from email.utils import parseaddr

import yaml

from newsletter.config.nodes import Doc
from newsletter.config.settings import Dkim

NEWSLETTER_KEYS = ("unsubscribe_address", "dkim")
# local+TOKEN must fit the 64 characters of a local part (RFC 5321); tokens are 29.
MAX_LOCAL = 34
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN = re.compile(rf"{_LABEL}(?:\.{_LABEL})+")
_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*/=?^_`{|}~-]+)*")


def unsubscribe_address(doc: Doc, node: yaml.Node) -> str:
    where = "newsletter.unsubscribe_address"
    text = doc.text(node, where)
    local, _, domain = parseaddr(text)[1].rpartition("@")
    if not _LOCAL.fullmatch(local) or "+" in local or not _DOMAIN.fullmatch(domain):
        raise doc.error(node, f"{where} must be a plain address like unsubscribe@example.com")
    if len(local) > MAX_LOCAL:
        raise doc.error(node, f"{where}: the part before @ must be at most {MAX_LOCAL} characters")
    return f"{local}@{domain.lower()}"


def dkim(doc: Doc, node: yaml.Node) -> Dkim:
    keys = doc.mapping(
        node, "newsletter.dkim", ("selector", "domain"), required=("selector", "domain")
    )
    selector = doc.text(keys["selector"], "newsletter.dkim.selector")
    domain = doc.text(keys["domain"], "newsletter.dkim.domain").lower().rstrip(".")
    if not re.fullmatch(rf"{_LABEL}(?:\.{_LABEL})*", selector):
        raise doc.error(
            keys["selector"], "newsletter.dkim.selector must be a DNS label, like mail1"
        )
    if not _DOMAIN.fullmatch(domain):
        raise doc.error(keys["domain"], "newsletter.dkim.domain must be a domain, like example.com")
    return Dkim(selector, domain)
