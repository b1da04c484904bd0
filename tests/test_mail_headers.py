"""The one gate for header values: line breaks and encoded-word tricks never get through."""

from __future__ import annotations

import email
import email.policy

import pytest

from newsletter.mail.headers import clean_header_text, header_line, mailbox

PAYLOADS = [
    "Weekly digest\n",
    "Weekly digest\r\nBcc: evil@example.org",
    "Weekly digest\nBcc: evil@example.org\n",
    "Weekly =?UTF-8?Q?=0A?=Bcc: evil@example.org",
    "Weekly =?utf-8?b?Cg==?=Bcc: evil@example.org",  # base64 of "\n"
    "Weekly =?UTF-8?Q?=0D=0A?=Bcc: evil@example.org",
    "Weekly\u2028Bcc: evil@example.org",
    "Weekly\x85Bcc: evil@example.org",
    "Weekly\x00\x0bBcc: evil@example.org",
    "=?utf-8?b?PT9VVEYtOD9RPz0wQT89?=Bcc: evil@example.org",  # an encoded encoded-word
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_cleaned_text_is_one_line_with_no_encoded_word(payload: str) -> None:
    text = clean_header_text(payload)
    assert not any(c in text for c in "\r\n\x00\x0b\x85\u2028")
    assert "=?" not in text
    assert text.startswith("Weekly") or text.startswith("= ?")


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_header_built_from_a_payload_parses_as_that_one_header(payload: str) -> None:
    raw = header_line("Subject", clean_header_text(payload)) + b"From: a@example.com\r\n\r\nbody"
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert list(message.keys()) == ["Subject", "From"]
    assert "\n" not in str(message["Subject"]) and "\r" not in str(message["Subject"])
    assert message["Bcc"] is None


def test_plain_text_is_kept_and_spaces_collapsed() -> None:
    assert clean_header_text("  Tempo   runs,\ttwice a week  ") == "Tempo runs, twice a week"
    assert clean_header_text(None) == "" and clean_header_text("") == ""


def test_long_text_is_cut_with_an_ellipsis() -> None:
    text = clean_header_text("word " * 100, limit=50)
    assert len(text) == 50 and text.endswith("…")


def test_header_lines_fold_under_78_columns_and_encode_non_ascii() -> None:
    line = header_line("Subject", clean_header_text("Zoë's tempo runs " * 10))
    assert all(len(physical) <= 78 for physical in line.split(b"\r\n"))
    assert line.isascii() and line.endswith(b"\r\n")
    parsed = email.message_from_bytes(line + b"\r\n", policy=email.policy.default)
    assert parsed["Subject"] == ("Zoë's tempo runs " * 10).strip()


def test_mailbox_quotes_and_encodes_names() -> None:
    assert mailbox(None, "ann@example.org") == "ann@example.org"
    assert mailbox("Ann Smith", "ann@example.org") == "Ann Smith <ann@example.org>"
    assert mailbox("Smith, Ann", "ann@example.org") == '"Smith, Ann" <ann@example.org>'
    assert mailbox("Zoë", "zoe@example.org").startswith("=?utf-8?")
    assert mailbox("Ann\nBcc: evil@example.org", "ann@example.org") == (
        '"Ann Bcc: evil@example.org" <ann@example.org>'
    )
    header = header_line("To", mailbox('Ann "=?UTF-8?Q?=0A?=" <x>', "ann@example.org"))
    message = email.message_from_bytes(header + b"\r\n", policy=email.policy.default)
    (address,) = message["To"].addresses
    assert address.addr_spec == "ann@example.org"
