"""Email addresses: checked with the standard library, stored in one normalized form.

An address is kept as given except for its domain, which is IDNA-encoded and lower-cased
(``Ann@Bücher.Example`` → ``Ann@xn--bcher-kva.example``). The local part keeps its case,
because a few servers still honour it, but two addresses that differ only in case are the
same subscriber: :attr:`Address.key`, the whole address lower-cased, is the identity.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from newsletter.errors import BadInput

# RFC 5322 dot-atom: what every mail system accepts unquoted. Quoted local parts
# ("john doe"@example.com) are legal but so rare and so often mishandled that we refuse them.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL = re.compile(rf"{_ATEXT}(\.{_ATEXT})*")
_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
_SHOWN = 80  # characters of a refused address repeated in the error message


class InvalidAddress(BadInput):
    """An address that cannot receive mail as written."""


@dataclass(frozen=True)
class Address:
    email: str  # local part as given, domain IDNA-encoded and lower-case
    key: str  # the whole address lower-cased: how addresses are compared

    @property
    def domain(self) -> str:
        return self.email.rpartition("@")[2]


def normalize_address(raw: str) -> Address:
    """The normalized address, or InvalidAddress saying in one sentence what is wrong."""
    text = raw.strip()
    if not text:  # an empty form, an empty row: there is no address to quote back
        raise InvalidAddress("no email address was given")
    reason = _problem(text)
    if reason:
        raise InvalidAddress(f"{_shown(text)} is not a valid email address: {reason}")
    local, _, domain = text.rpartition("@")
    email = f"{local}@{_ascii_domain(domain)}"
    return Address(email=email, key=email.lower())


def _problem(text: str) -> str | None:
    if not text:
        return "it is empty"
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in text):
        return "it contains spaces or control characters"
    if text.count("@") != 1:
        return "it needs exactly one @"
    local, _, domain = text.partition("@")
    return _local_problem(local) or _domain_problem(domain) or _length_problem(text)


def _local_problem(local: str) -> str | None:
    if not local:
        return "nothing before the @"
    if not local.isascii():
        return "the part before the @ must be plain ASCII"
    if len(local) > 64:
        return "the part before the @ is longer than 64 characters"
    if not _LOCAL.fullmatch(local):
        return "the part before the @ has a character or dot where none may be"
    return None


def _domain_problem(domain: str) -> str | None:
    if not domain:
        return "nothing after the @"
    if domain.startswith("["):
        return "an IP address literal after the @ is not accepted"
    try:
        ascii_domain = _ascii_domain(domain)
    except UnicodeError:
        return f"'{domain[:_SHOWN]}' is not a valid domain name"
    labels = ascii_domain.split(".")
    if len(labels) < 2:
        return f"'{domain[:_SHOWN]}' has no dot; write the full domain, like example.com"
    if len(ascii_domain) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        return f"'{domain[:_SHOWN]}' is not a valid domain name"
    if labels[-1].isdigit():
        return f"'{domain[:_SHOWN]}' ends in a number, not a top-level domain"
    return None


def _length_problem(text: str) -> str | None:
    local, _, domain = text.partition("@")
    if len(local) + 1 + len(_ascii_domain(domain)) > 254:
        return "it is longer than 254 characters"
    return None


def _ascii_domain(domain: str) -> str:
    """IDNA (the standard library's, IDNA 2003 with nameprep) and lower case; one trailing
    dot, the DNS root, is dropped. Raises UnicodeError for a name IDNA refuses."""
    name = domain[:-1] if domain.endswith(".") else domain
    if not name or ".." in name:
        raise UnicodeError("empty label")
    return name.encode("idna").decode("ascii").lower()


def _shown(text: str) -> str:
    printable = "".join(c if c.isprintable() else "?" for c in text)
    return repr(printable[:_SHOWN] + ("…" if len(printable) > _SHOWN else ""))
