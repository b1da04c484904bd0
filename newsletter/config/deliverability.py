"""The deliverability keys of feeds.yaml's ``newsletter:`` (the mailto unsubscribe address,
DKIM) and of the environment (the DKIM key file, the webhooks' secrets)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from email.utils import parseaddr
from pathlib import Path

import yaml

from newsletter.config.nodes import Doc
from newsletter.config.settings import Dkim
from newsletter.errors import ConfigError

NEWSLETTER_KEYS = ("unsubscribe_address", "dkim")
# local+TOKEN must fit the 64 characters of a local part (RFC 5321); tokens are 29.
MAX_LOCAL = 34
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN = re.compile(rf"{_LABEL}(?:\.{_LABEL})+")
_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*/=?^_`{|}~-]+)*")
_SNS_ARN = re.compile(r"arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]+")


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


def environment(
    environ: Mapping[str, str], root: Path
) -> tuple[Path | None, str | None, tuple[str, ...]]:
    """The DKIM key file, the Mailgun signing key and the SES topic ARNs, checked."""
    key_file = environ.get("NEWSLETTER_DKIM_KEY_FILE") or None
    arns = tuple(a.strip() for a in (environ.get("NEWSLETTER_SES_TOPIC_ARN") or "").split(","))
    arns = tuple(a for a in arns if a)
    for arn in arns:
        if not _SNS_ARN.fullmatch(arn):
            raise ConfigError(
                f"NEWSLETTER_SES_TOPIC_ARN: '{arn}' is not an SNS topic ARN "
                "(arn:aws:sns:REGION:ACCOUNT:NAME; several separated by commas)"
            )
    mailgun_key = environ.get("NEWSLETTER_MAILGUN_SIGNING_KEY") or None
    return (root / key_file if key_file else None), mailgun_key, arns
