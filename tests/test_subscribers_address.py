"""Addresses: normalized one way, compared case-insensitively, refused in one sentence."""

from __future__ import annotations

import pytest

from newsletter.subscribers.address import InvalidAddress, normalize_address


@pytest.mark.parametrize(
    ("raw", "email", "key"),
    [
        ("ann@example.org", "ann@example.org", "ann@example.org"),
        ("  Ann.Smith@Example.ORG \n", "Ann.Smith@example.org", "ann.smith@example.org"),
        ("ann+news@example.org.", "ann+news@example.org", "ann+news@example.org"),
        ("o'brien@example.ie", "o'brien@example.ie", "o'brien@example.ie"),
        ("Zoe@Bücher.Example", "Zoe@xn--bcher-kva.example", "zoe@xn--bcher-kva.example"),
        ("x@xn--bcher-kva.example", "x@xn--bcher-kva.example", "x@xn--bcher-kva.example"),
        ("a@sub-domain.example.co.uk", "a@sub-domain.example.co.uk", "a@sub-domain.example.co.uk"),
    ],
)
def test_normalized_forms(raw: str, email: str, key: str) -> None:
    address = normalize_address(raw)
    assert (address.email, address.key) == (email, key)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "no email address was given"),
        ("   ", "no email address was given"),
        ("ann.example.org", "it needs exactly one @"),
        ("ann@@example.org", "it needs exactly one @"),
        ('"ann smith"@example.org', "spaces or control characters"),
        ("ann smith@example.org", "spaces or control characters"),
        ("ann\n@example.org", "spaces or control characters"),
        ("@example.org", "nothing before the @"),
        ("ann@", "nothing after the @"),
        (".ann@example.org", "a character or dot where none may be"),
        ("ann..smith@example.org", "a character or dot where none may be"),
        ("ann(comment)@example.org", "a character or dot where none may be"),
        ("zoë@example.org", "must be plain ASCII"),
        ("a" * 65 + "@example.org", "longer than 64 characters"),
        ("ann@localhost", "has no dot"),
        ("ann@[192.0.2.1]", "IP address literal"),
        ("ann@192.0.2.1", "ends in a number"),
        ("ann@exa_mple.org", "not a valid domain name"),
        ("ann@-example.org", "not a valid domain name"),
        ("ann@example..org", "not a valid domain name"),
        ("ann@" + "a" * 64 + ".org", "not a valid domain name"),
        ("a@" + ".".join(["abcdefghi"] * 26) + ".org", "not a valid domain name"),
    ],
)
def test_invalid_addresses_are_refused_with_one_sentence(raw: str, reason: str) -> None:
    with pytest.raises(InvalidAddress) as refused:
        normalize_address(raw)
    message = str(refused.value)
    assert reason in message
    assert "is not a valid email address: " in message or message == "no email address was given"
    assert "\n" not in message


def test_case_variants_share_one_key() -> None:
    keys = {
        normalize_address(raw).key
        for raw in ("Ann@Example.org", "ann@EXAMPLE.org", "ANN@example.ORG")
    }
    assert keys == {"ann@example.org"}


def test_a_long_refused_address_is_shortened_in_the_message() -> None:
    with pytest.raises(InvalidAddress) as refused:
        normalize_address("x" * 500)
    assert len(str(refused.value)) < 200
