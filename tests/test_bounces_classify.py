"""Classifying what arrives in the bounce mailbox: a pure function over the parsed message,
checked on real reports of fifteen MTA formats (flufl.bounce's samples) and our own."""

from __future__ import annotations

import email

import pytest

from newsletter.mail.bounces.classify import classify
from newsletter.mail.bounces.process import bounce_report, message_key
from newsletter.mail.verp import Verp, VerpRef
from newsletter.subscribers.tokens import Tokens
from tests.support.bounces import MTA_SAMPLES, fill, recipient_of

VERP = Verp("test-secret-key-for-signing-0123456789", "bounces@example.com")
DELIVERY = VerpRef("digest", 41)


def parsed(data: bytes) -> email.message.Message:
    return email.message_from_bytes(data)


@pytest.mark.parametrize("name", sorted(MTA_SAMPLES))
def test_each_mta_format_is_read_with_its_delivery(name: str) -> None:
    kind, verp_kept = MTA_SAMPLES[name]
    return_path = VERP.address("digest", DELIVERY.id) if verp_kept else "news@example.com"
    found = classify(parsed(fill(name, return_path, recipient_of(name))), VERP)
    assert found.kind == kind
    assert recipient_of(name).lower() in found.addresses
    assert found.ref == (DELIVERY if verp_kept else None)


def test_a_complaint_names_the_delivery_from_the_original_headers() -> None:
    data = fill("arf_complaint", VERP.address("digest", 7), "ann@example.org")
    found = classify(parsed(data), VERP)
    assert (found.kind, found.ref) == ("complaint", VerpRef("digest", 7))
    assert found.addresses == ("ann@example.org",)
    assert found.detail == "feedback report: abuse"


def test_a_not_spam_feedback_report_is_no_complaint() -> None:
    data = fill("arf_complaint", VERP.address("digest", 7), "ann@example.org")
    data = data.replace(b"Feedback-Type: abuse", b"Feedback-Type: not-spam")
    assert classify(parsed(data), VERP).kind == "unclassified"


def test_auto_replies_are_ignored_whichever_sign_they_carry() -> None:
    data = fill("auto_reply", VERP.address("digest", 7), "ann@example.org")
    assert classify(parsed(data), VERP).kind == "auto_reply"
    plain = b"From: ann@example.org\r\nTo: bounces@example.com\r\nSubject: %s\r\n\r\nAway.\r\n"
    for subject in (b"Automatic reply: this week", b"Out of Office", b"Vacation"):
        assert classify(parsed(plain % subject), VERP).kind == "auto_reply"
    precedence = b"From: a@b.org\r\nPrecedence: auto_reply\r\nSubject: Re\r\n\r\nx\r\n"
    assert classify(parsed(precedence), VERP).kind == "auto_reply"


def test_mail_to_the_unsubscribe_address_names_its_subscriber() -> None:
    data = fill("mailto_unsubscribe", "", "ann@example.org", VERP.unsubscribe_address(12))
    found = classify(parsed(data), VERP)
    assert (found.kind, found.ref, found.sender) == (
        "unsubscribe",
        VerpRef("unsubscribe", 12),
        "ann@example.org",
    )


def test_the_token_in_the_subject_is_enough_when_the_address_was_rewritten() -> None:
    token = VERP.token(VerpRef("unsubscribe", 12))
    data = (
        b"From: ann@example.org\r\nTo: bounces@example.com\r\n"
        b"Subject: unsubscribe " + token.encode() + b"\r\n\r\nbye\r\n"
    )
    assert classify(parsed(data), VERP).ref == VerpRef("unsubscribe", 12)


def test_an_unsubscribe_mail_that_is_an_auto_reply_unsubscribes_nobody() -> None:
    data = fill("mailto_unsubscribe", "", "ann@example.org", VERP.unsubscribe_address(12))
    data = b"Auto-Submitted: auto-replied\r\n" + data
    assert classify(parsed(data), VERP).kind == "auto_reply"


def test_anything_else_is_unclassified() -> None:
    found = classify(parsed(fill("unclassified", "", "")), VERP)
    assert (found.kind, found.ref) == ("unclassified", None)


def test_a_forged_or_altered_token_names_nobody() -> None:
    token = VERP.token(DELIVERY)
    altered = token[:-1] + ("a" if token[-1] != "a" else "b")
    assert VERP.read(token) == DELIVERY and VERP.read(token.upper()) == DELIVERY
    assert VERP.read(altered) is None
    assert Verp("another-key-altogether-0123", "bounces@example.com").read(token) is None
    data = fill("dsn_11", f"bounces+{altered}@example.com", "joe@example.org")
    assert classify(parsed(data), VERP).ref is None


def test_tokens_are_opaque_short_and_distinct() -> None:
    tokens = {VERP.token(VerpRef("digest", n)) for n in range(1, 2001)}
    assert len(tokens) == 2000
    assert all(len(t) == 23 and t.isalnum() and t.islower() for t in tokens)
    first, second = VERP.token(VerpRef("digest", 1)), VERP.token(VerpRef("digest", 2))
    assert sum(a == b for a, b in zip(first, second, strict=True)) < 12  # no shared prefix
    assert VERP.token(VerpRef("confirm", 1)) != first
    assert len(VERP.address("digest", 2**55).split("@")[0]) <= 64  # RFC 5321's limit


def test_the_message_key_is_its_message_id_else_a_hash() -> None:
    data = b"Message-ID: <a@b>\r\nSubject: x\r\n\r\nbody\r\n"
    assert message_key(data, parsed(data)) == "mid:<a@b>"
    bare = b"Subject: x\r\n\r\nbody\r\n"
    assert message_key(bare, parsed(bare)).startswith("sha256:")
    assert bounce_report(bare, VERP).message_key == message_key(bare, parsed(bare))


def test_without_verp_bounces_still_name_their_addresses() -> None:
    data = fill("postfix_01", "news@example.com", "ann@example.org")
    found = classify(parsed(data), None)
    assert (found.kind, found.ref, found.addresses) == ("hard", None, ("ann@example.org",))


def test_mail_to_the_mailto_unsubscribe_address_unsubscribes_only_its_sender() -> None:
    tokens = Tokens("test-secret-key-for-signing-0123456789")
    token = tokens.make("unsubscribe", 12, "ann@example.org").encode()
    data = (
        b"From: Ann <ann@example.org>\r\nTo: unsubscribe+" + token + b"@example.com\r\n"
        b"Subject: unsubscribe\r\nMessage-ID: <u1@example.org>\r\n\r\n\r\n"
    )
    report = bounce_report(data, VERP, "unsubscribe@example.com", tokens)
    assert (report.kind, report.ref_kind, report.ref_id) == ("unsubscribe", "unsubscribe", 12)
    other = data.replace(b"From: Ann <ann@", b"From: Eve <eve@")
    assert bounce_report(other, VERP, "unsubscribe@example.com", tokens).ref_id is None
    elsewhere = data.replace(b"@example.com", b"@example.net")
    assert bounce_report(elsewhere, VERP, "unsubscribe@example.com", tokens).kind == "unclassified"
