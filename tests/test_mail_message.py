"""The digest message built once and personalized by substitution: every subscriber's
bytes parse to the right headers and to exactly the text and HTML of the digest."""

from __future__ import annotations

import email
import email.policy
import html
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest

from newsletter.errors import NewsletterError
from newsletter.mail.headers import mailbox
from newsletter.mail.message import PLACEHOLDER, DigestMessage, Sender, simple_message

DATE = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
SENDER = Sender.parse("Best Running Tips <news@Example.COM>")
URL = "https://news.example.com/unsubscribe/WzEsImFubkBleGFtcGxlLm9yZyJd.abc-DEF_123"


def parse(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def bodies(message: EmailMessage) -> tuple[str, str]:
    text, body = (part.get_content().replace("\r\n", "\n") for part in message.iter_parts())
    return text, body


def test_the_sender_is_parsed_once_with_its_domain_normalized() -> None:
    assert SENDER.address == "news@example.com" and SENDER.domain == "example.com"
    assert SENDER.header == "Best Running Tips <news@example.com>"
    with pytest.raises(NewsletterError, match=r"newsletter\.from"):
        Sender.parse("Best Running Tips <not an address>")


@pytest.mark.parametrize("length", [0, 1, 40, 74, 75, 76, 77, 150, 151, 152, 400])
@pytest.mark.parametrize("edge", ["", " ", "\t", "é", "\n", "=", "."])
def test_substitution_decodes_to_exactly_the_text_with_the_url(length: int, edge: str) -> None:
    text = "a" * length + edge + PLACEHOLDER + edge + "b" * length + PLACEHOLDER * 2 + "é" * length
    message = DigestMessage(SENDER, "Tips", "Subject", text, text, DATE)
    url = URL + "x" * length + "=&"
    data = message.render(mailbox(None, "ann@example.org"), "<m@example.com>", url)
    body_lines = data.split(b"\r\n\r\n", 1)[1].split(b"\r\n")
    assert max(len(line) for line in body_lines) <= 76, "quoted-printable line length"
    assert data.isascii()
    plain, rich = bodies(parse(data))
    assert plain == text.replace(PLACEHOLDER, url)
    assert rich == text.replace(PLACEHOLDER, html.escape(url))


def test_each_subscriber_gets_their_own_headers_and_links() -> None:
    message = DigestMessage(SENDER, "Best Running Tips", "Week 48", PLACEHOLDER, PLACEHOLDER, DATE)
    first = parse(message.render("ann@example.org", "<1@example.com>", URL + "1"))
    second = parse(message.render(mailbox("Zoë", "zoe@example.org"), "<2@example.com>", URL + "2"))
    assert (first["To"], first["Message-ID"]) == ("ann@example.org", "<1@example.com>")
    assert (second["To"], second["Message-ID"]) == ("Zoë <zoe@example.org>", "<2@example.com>")
    assert first["List-Unsubscribe"] == f"<{URL}1>" and bodies(first)[0] == URL + "1"
    assert second["List-Unsubscribe"] == f"<{URL}2>" and bodies(second)[0] == URL + "2"
    assert first["Date"] == second["Date"] == "Mon, 30 Nov 2026 07:00:00 +0000"


def test_a_body_without_the_placeholder_is_sent_as_is() -> None:
    message = DigestMessage(SENDER, "Tips", "Week 48", "plain\n", "<p>rich</p>\n", DATE)
    assert bodies(parse(message.render("a@example.org", "<1@x>", URL))) == (
        "plain\n",
        "<p>rich</p>\n",
    )


def test_a_one_off_message_has_the_same_shape() -> None:
    data, message_id = simple_message(
        SENDER, "ann@example.org", "Please confirm", "Confirm: https://x/c\n", "<p>c</p>", DATE
    )
    message = parse(data)
    assert message["Message-ID"] == message_id and message_id.endswith("@example.com>")
    assert message["Subject"] == "Please confirm" and message["List-Unsubscribe"] is None
    assert bodies(message) == ("Confirm: https://x/c\n", "<p>c</p>")
