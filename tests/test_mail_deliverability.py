"""The message as mail filters see it: DKIM signatures that dkimpy verifies against the
published key, the biggest digest the size cap allows under Gmail's 102 KB as sent, both
ways of List-Unsubscribe, and a confirmation email in the digest's design."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import timedelta
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path

import pytest

from newsletter.config import load_settings
from newsletter.digest import build_digest
from newsletter.errors import ConfigError
from newsletter.mail import SendOptions, send_digest
from newsletter.mail.dkim import load_signer
from newsletter.mail.message import CLIP_BYTES
from newsletter.palette import load_palette
from newsletter.store import SqlStore
from newsletter.store.subscribers import NewSubscriber, SubscriberSource, SubscriberState
from newsletter.templating import default_templates_dir
from tests.support.clock import Clock
from tests.support.deliverability import (
    BASE_URL,
    DkimKey,
    confirmation,
    dkim_site,
    fill_the_week,
    golden_digest,
)
from tests.support.digest import SEND_W48

# A subscriber whose To: line is as long as they come.
LONG_NAME = "Zoë-Éloïse " * 9
LONG_ADDRESS = "z" * 60 + "@" + "mail-" * 30 + "example.org"


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> DkimKey:
    return DkimKey(tmp_path_factory.mktemp("dkim"))


def parse(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def signed_headers(data: bytes) -> list[str]:
    signature = str(parse(data)["DKIM-Signature"])
    found = re.search(r"\bh=([^;]+);", signature)
    assert found, signature
    return [name.strip() for name in found[1].split(":")]


def test_a_signed_digest_verifies_and_covers_both_unsubscribe_headers(
    key: DkimKey, tmp_path: Path
) -> None:
    settings = dkim_site(tmp_path, key)
    signer = load_signer(settings.newsletter.dkim, settings.env.dkim_key_file)
    assert signer is not None
    signed = signer.sign(golden_digest(settings), SEND_W48)
    assert key.verify(signed)
    assert {"from", "subject", "date", "message-id", "list-id"} <= set(signed_headers(signed))
    assert {"list-unsubscribe", "list-unsubscribe-post"} <= set(signed_headers(signed)), (
        "RFC 8058 one-click needs both signed"
    )
    assert signed.index(b"DKIM-Signature:") == 0 and signed.isascii()
    other_link = signed.replace(b"?subject=unsubscribe", b"?subject=subscribe", 1)
    assert not key.verify(other_link), "a changed List-Unsubscribe breaks the signature"
    assert not key.verify(signed.replace(b"Toe tapping", b"Toe-tapping", 1))
    assert not key.verify(signed.replace(b"Tempo Runs", b"Tempo runs", 1)), "the body counts"
    unsigned = dkim_site(tmp_path / "plain", None)
    assert b"DKIM-Signature" not in confirmation(unsigned)


def test_the_biggest_week_the_cap_allows_is_under_102_kb_as_sent(
    store: SqlStore, tmp_path: Path, clock: Clock, key: DkimKey
) -> None:
    """A week with far more than fits, sent through the real pipeline to the outbox, to
    the longest To: there is, signed: the bytes on disk are what a relay gets."""
    settings = dkim_site(tmp_path, key)
    fill_the_week(store)
    longest = NewSubscriber(
        LONG_ADDRESS, LONG_ADDRESS, LONG_NAME, SubscriberState.ACTIVE, SubscriberSource.CLI
    )
    store.import_changes([longest], [], SEND_W48 - timedelta(days=1))  # before the digest's date
    built = build_digest(settings, store, SEND_W48, "2026-W48")  # queues its deliveries
    assert built.digest is not None and built.left_out > 0, "the cap had to cut"
    report = send_digest(settings, store, clock, SendOptions(week="2026-W48"))
    assert report.sent == 1
    [sent] = (tmp_path / "outbox").glob("*.eml")
    data = sent.read_bytes()
    relays = 2_000  # Received, Return-Path and Authentication-Results of a few hops
    assert len(data) + relays < CLIP_BYTES, f"{len(data)} bytes as sent"
    assert len(data) > CLIP_BYTES - 5_000, f"{len(data)} bytes: the cap is used, not wasted"
    html_decoded = len(built.digest.html.encode("utf-8"))
    assert len(data) > html_decoded * 1.05, "encoding and the text part are what is counted"
    assert key.verify(data)
    message = parse(data)
    assert LONG_NAME.strip() in str(message["To"])
    text, html = (part.get_content() for part in message.iter_parts())
    url = str(message["List-Unsubscribe"]).split(",")[0].strip()[1:-1]
    assert url in text and f'href="{url}"' in html, "the unsubscribe link is in, not clipped"
    assert html.rstrip().endswith("</html>")
    # The picture is linked, not carried: an <img> of the site, its bytes not in the message.
    assert re.search(
        r'<img class="picture" [^>]*src="https://news\.example\.com/archive/exercises/', html
    )
    assert b"image/png" not in data


def test_list_unsubscribe_offers_mailto_with_the_same_token(tmp_path: Path) -> None:
    default = parse(golden_digest(dkim_site(tmp_path / "a", None)))
    web, mail = (p.strip() for p in str(default["List-Unsubscribe"]).split(","))
    token = web[1:-1].rsplit("/", 1)[1]
    assert web == f"<{BASE_URL}unsubscribe/{token}>"
    assert mail == f"<mailto:news+{token}@example.com?subject=unsubscribe>", "From's mailbox"
    configured = dkim_site(tmp_path / "b", None, "  unsubscribe_address: Leave@Lists.Example.com\n")
    assert configured.newsletter.unsubscribe_address == "Leave@lists.example.com"
    header = str(parse(golden_digest(configured))["List-Unsubscribe"])
    assert f"<mailto:Leave+{token}@lists.example.com?subject=unsubscribe>" in header
    for line in golden_digest(configured).split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
        assert len(line) <= 998, "RFC 5322 line limit"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("  unsubscribe_address: not an address\n", "plain address"),
        ("  unsubscribe_address: a+b@example.com\n", "plain address"),
        ("  unsubscribe_address: " + "u" * 35 + "@example.com\n", "at most 34"),
        ("  dkim:\n    selector: mail\n", "missing 'domain'"),
        ("  dkim:\n    selector: 'bad selector'\n    domain: example.com\n", "DNS label"),
        ("  dkim:\n    selector: s1\n    domain: localhost\n", "must be a domain"),
    ],
)
def test_bad_deliverability_settings_are_refused_with_the_line(
    tmp_path: Path, extra: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=rf"feeds.yaml:\d+: .*{message}"):
        dkim_site(tmp_path, None, extra)


def test_dkim_needs_both_halves_and_a_usable_key(tmp_path: Path, key: DkimKey) -> None:
    signing = dkim_site(tmp_path / "a", key)
    with pytest.raises(ConfigError, match="set NEWSLETTER_DKIM_KEY_FILE"):
        load_signer(signing.newsletter.dkim, None)
    with pytest.raises(ConfigError, match=r"has no newsletter\.dkim"):
        load_signer(None, key.path)
    with pytest.raises(ConfigError, match="cannot read it"):
        load_signer(signing.newsletter.dkim, tmp_path / "missing.pem")
    junk = tmp_path / "junk.pem"
    junk.write_text("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
    with pytest.raises(ConfigError, match="not an unencrypted PEM private key"):
        load_signer(signing.newsletter.dkim, junk)
    assert load_signer(None, None) is None
    with pytest.raises(ConfigError, match="NEWSLETTER_SES_TOPIC_ARN"):
        load_settings(signing.config_path, {"NEWSLETTER_SES_TOPIC_ARN": "arn:aws:s3:::bucket"})


class _Visible(HTMLParser):
    """The text a reader sees, and every href, in document order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.links: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "title", "head"):
            self._hidden += 1
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.links.append(href)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "title", "head"):
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.text.append(data)


def test_the_confirmation_email_wears_the_digests_design(tmp_path: Path, key: DkimKey) -> None:
    settings = dkim_site(tmp_path, key)
    data = confirmation(settings)
    assert key.verify(data), "signed like the digest"
    text, html = (part.get_content() for part in parse(data).iter_parts())
    digest_html = parse(golden_digest(settings)).iter_parts()
    digest = list(digest_html)[1].get_content()
    light = load_palette([default_templates_dir()]).light  # the one palette
    shared_values = (light["accent"], light["bg"], light["font"].split(",")[0])
    for shared in (*shared_values, 'class="brand"', "max-width: 600px"):
        assert shared in html and shared in digest, shared
    confirm_url = next(word for word in text.split() if "/confirm/" in word)
    # The button: a table cell with the colour as bgcolor (what Outlook draws), the link in it.
    cell = rf'<td class="button"[^>]*bgcolor="{light["accent"]}"[^>]*>'
    button = re.search(cell + r'\s*<a href="([^"]+)"', html)
    assert button and button[1] == confirm_url
    page = _Visible()
    page.feed(html)
    seen = " ".join("".join(page.text).split())
    assert confirm_url not in seen, "the raw URL is not shown in the HTML part"
    longest = max(seen.split(), key=len)
    assert len(longest) <= 30, f"'{longest}' could overflow a 390px screen without word-break"
    # rspamd's URI_COUNT_ODD: as many links in each part, so the total is even.
    in_text = re.findall(r"https?://\S+", text)
    assert (
        sorted(set(page.links)) == sorted(set(in_text)) == sorted({confirm_url, settings.site.url})
    )
    assert (len(page.links) + len(in_text)) % 2 == 0
