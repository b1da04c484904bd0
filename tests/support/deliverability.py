"""What the deliverability tests share: a DKIM key pair and its DNS record, a site with
DKIM configured, the week that fills the size cap, and messages built as they are sent.

No tests here."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from newsletter.config import Settings, load_settings
from newsletter.digest.welcome import WelcomeWriter
from newsletter.mail.confirm import ConfirmationComposer
from newsletter.mail.message import DigestMessage, Sender
from newsletter.mail.size import unsubscribe_mailbox
from newsletter.mail.welcome import WelcomeComposer
from newsletter.store import SqlStore
from newsletter.store.engine import make_engine, upgrade
from newsletter.store.subscribers import SubscriberRecord, SubscriberSource, SubscriberState
from newsletter.store.welcome_emails import WelcomeToSend
from newsletter.subscribers.tokens import Links, Tokens
from tests.support.digest import SEND_W48, add, article, question, write_site_yaml

SECRET = "test-secret-key-for-signing-0123456789"
BASE_URL = "https://news.example.com/"
GOLDEN = Path(__file__).parents[1] / "golden"
SELECTOR, DOMAIN = "mail2026", "example.com"


class DkimKey:
    """A freshly generated RSA key in a PEM file, and the TXT record that publishes it."""

    def __init__(self, folder: Path) -> None:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.path = folder / "dkim.pem"
        self.path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        public = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)

    def verify(self, message: bytes) -> bool:
        """dkimpy's verdict, with DNS answered by this key for our selector only."""

        def dns(name: bytes, timeout: int = 5) -> bytes | None:
            wanted = f"{SELECTOR}._domainkey.{DOMAIN}.".encode()
            return self.record if name in (wanted, wanted.rstrip(b".")) else None

        return bool(dkim.verify(message, dnsfunc=dns))


def dkim_site(root: Path, key: DkimKey | None, extra: str = "") -> Settings:
    """A site signing with ``key`` (none: not signing), its digest's links on BASE_URL."""
    dkim_lines = f"  dkim:\n    selector: {SELECTOR}\n    domain: {DOMAIN}\n" if key else ""
    config = write_site_yaml(root, dkim_lines + extra)
    environ = {
        "NEWSLETTER_BASE_URL": BASE_URL,
        "NEWSLETTER_SECRET_KEY": SECRET,
        "NEWSLETTER_OUTBOX": "outbox",
    }
    if key:
        environ["NEWSLETTER_DKIM_KEY_FILE"] = str(key.path)
    return load_settings(config, environ)


def fill_the_week(store: SqlStore) -> None:
    """Far more articles and questions than fit, each with a long summary."""
    body = "<p>" + "Long words about running and feet, and the shoes for both. " * 30 + "</p>"
    title = "Article number {:03d} about running"
    articles = [
        article(f"a{n:03d}", title.format(n), SEND_W48 - timedelta(minutes=n), body)
        for n in range(300)
    ]
    questions = [
        question(f"q{n}", f"Question {n}?", SEND_W48 - timedelta(days=2, minutes=n), "Ann", body)
        for n in range(30)
    ]
    add(store, SEND_W48 - timedelta(hours=1), *articles, *questions)


def golden_digest(settings: Settings, email: str = "ann@example.org", sid: int = 7) -> bytes:
    """The golden week's digest as ``email`` receives it: the sender's own building blocks."""
    subject = "Toe tapping, plus 3 new articles and 2 reader questions"
    message_id = "<digest-2026-W48.0f3a9c1d2e4b5a69@example.com>"
    return _golden_message(settings, "digest-2026-W48", subject, message_id, email, sid)


def golden_step(settings: Settings, number: int, email: str = "ann@example.org") -> bytes:
    """Step ``number`` (1 or 11, the golden ones) of the shipped programme as ``email``
    receives it."""
    subject = {
        1: "Stronger feet in 11 weeks, week 1: Toe tapping",
        11: "Stronger feet in 11 weeks, week 11: Eccentric heel drops",
    }[number]
    message_id = f"<programme-stronger-feet-{number}.5b1c0d9e@example.com>"
    name = f"programme-stronger-feet-{number}"
    return _golden_message(settings, name, subject, message_id, email, 7)


def _golden_message(
    settings: Settings, name: str, subject: str, message_id: str, email: str, sid: int
) -> bytes:
    html = (GOLDEN / f"{name}.html").read_text(encoding="utf-8")
    text = (GOLDEN / f"{name}.txt").read_text(encoding="utf-8")
    sender = Sender.parse(settings.newsletter.sender)
    message = DigestMessage(sender, settings.site.title, subject, text, html, SEND_W48)
    links = Links(settings.env.base_url, Tokens(SECRET), unsubscribe_mailbox(settings.newsletter))
    url, mailto = links.unsubscribe_ways(sid, email)
    return message.render(email, message_id, url, mailto, links.preferences(sid, email))


def confirmation(settings: Settings, email: str = "ann@example.org", sid: int = 7) -> bytes:
    """The confirmation email as ``email`` receives it (signed when the site signs)."""
    record = SubscriberRecord(
        sid,
        email,
        email.lower(),
        "Ann",
        SubscriberState.PENDING,
        SubscriberSource.WEB,
        datetime(2026, 11, 1, tzinfo=UTC),
    )
    return ConfirmationComposer(settings)(record, SEND_W48).message


def welcome(settings: Settings, email: str = "ann@example.org", sid: int = 7) -> bytes:
    """The welcome email as ``email`` receives it (signed when the site signs), offering a
    programme, its exercise from a fresh catalog in a database of its own."""
    engine = make_engine(f"sqlite:///{settings.root / 'welcome.sqlite3'}")
    try:
        upgrade(engine)
        programmes = [("feet", "Stronger feet in 11 weeks", "One exercise a week, from today.")]
        write = WelcomeWriter(settings, SqlStore(engine), programmes)
        reader = WelcomeToSend(sid, email, email.lower(), "Ann", "", "weekly", 0)
        return WelcomeComposer(settings, write)(reader, SEND_W48).message
    finally:
        engine.dispose()
