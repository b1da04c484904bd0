"""What the bounce tests share: a site with a bounce address, digests really sent to the
outbox (so every return path is one the sender made), and the fixtures of
tests/data/bounces/ filled in for a subscriber."""

from __future__ import annotations

import email
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from newsletter.config import Settings, load_settings
from newsletter.mail.sender import SendOptions, send_digest
from newsletter.mail.verp import verp_for
from newsletter.store import SqlStore
from tests.support.send import BASE_URL, SECRET, add_digest, add_subscribers

DATA = Path(__file__).parent.parent / "data" / "bounces"
SITE = """\
site:
  title: Best Running Tips
  url: https://www.example.com/
newsletter:
  from: Best Running Tips <news@example.com>
  bounce_address: bounces@example.com
  soft_bounce_limit: {limit}
feeds: []
"""
# Each sample of another MTA's format, the kind it must be read as, and whether its
# return path survived (else, VERP being on, the report proves nothing and is refused).
MTA_SAMPLES = {
    "dsn_11": ("hard", True),
    "dsn_05": ("soft", True),
    "postfix_01": ("hard", True),
    "exim_01": ("hard", True),
    "qmail_01": ("hard", True),
    "simple_01": ("hard", False),
    "yahoo_01": ("hard", True),
    "microsoft_01": ("hard", True),
    "smtp32_01": ("hard", True),
    "groupwise_01": ("hard", True),
    "aol_01": ("hard", True),
    "llnl_01": ("hard", True),
    "simple_03": ("soft", True),
    "hotpop_01": ("hard", True),
    "caiwireless_01": ("hard", False),
}
# AOL's report names a screen name only; the detector adds @aol.com.
FIXED_RECIPIENT = {"aol_01": "screenname@aol.com"}
OTHERS = ("arf_complaint", "auto_reply", "mailto_unsubscribe", "unclassified")


def recipient_of(name: str) -> str:
    return FIXED_RECIPIENT.get(name, f"{name.replace('_', '-')}@example.org")


def bounce_site(
    root: Path, database_url: str, limit: int = 3, verp: bool = True, **env: str
) -> tuple[Settings, dict[str, str]]:
    """A site with a bounce address (VERP on), or without one (``verp=False``)."""
    root.mkdir(parents=True, exist_ok=True)
    text = SITE.format(limit=limit)
    if not verp:
        text = text.replace("  bounce_address: bounces@example.com\n", "")
    (root / "feeds.yaml").write_text(text, encoding="utf-8")
    environ = {
        "NEWSLETTER_SECRET_KEY": SECRET,
        "NEWSLETTER_BASE_URL": BASE_URL,
        "NEWSLETTER_DATABASE_URL": database_url,
        "NEWSLETTER_OUTBOX": "outbox",
        **env,
    }
    return load_settings(root / "feeds.yaml", environ), environ


def send_week(settings: Settings, store: SqlStore, week: str, when: datetime) -> dict[str, str]:
    """Build and send a digest to the outbox; each recipient's return path, as written."""
    add_digest(store, week=week, subject=f"Best Running Tips: {week}")  # queues its audience
    clock: Callable[[], datetime] = lambda: when  # noqa: E731
    report = send_digest(settings, store, clock, SendOptions(week=week))
    assert report.paused is None
    paths: dict[str, str] = {}
    assert settings.env.outbox is not None
    for file in settings.env.outbox.glob(f"digest-{week}.*.eml"):
        message = email.message_from_bytes(file.read_bytes())
        paths[str(message["to"])] = str(message["return-path"]).strip("<>")
        file.unlink()
    return paths


def fill(name: str, return_path: str, recipient: str, unsubscribe: str = "") -> bytes:
    data = (DATA / f"{name}.eml").read_bytes()
    data = data.replace(b"%%RETURN_PATH%%", return_path.encode())
    data = data.replace(b"%%UNSUBSCRIBE%%", unsubscribe.encode())
    return data.replace(b"%%RECIPIENT%%", recipient.encode())


def mailbox_of_week(settings: Settings, store: SqlStore) -> tuple[list[bytes], dict[str, str]]:
    """The scenario of the acceptance test: every subscriber gets week 48; then one message
    per fixture arrives in the bounce mailbox. Returns the messages and, per address, the
    state it must end in."""
    names = [*MTA_SAMPLES, *OTHERS]
    addresses = {name: recipient_of(name) for name in names}
    add_subscribers(store, sorted(addresses.values()))
    when = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
    paths = send_week(settings, store, "2026-W48", when)
    verp = verp_for(settings)
    assert verp is not None
    messages, expected = [], {}
    for name, address in addresses.items():
        subscriber = store.subscriber(address.lower())
        assert subscriber is not None
        unsubscribe = verp.unsubscribe_address(subscriber.id)
        kind, verp_kept = MTA_SAMPLES.get(name, ("", True))
        return_path = paths[address] if verp_kept else "news@example.com"
        messages.append(fill(name, return_path, address, unsubscribe))
        expected[address] = _expected_state(name, kind, verp_kept)
    return messages, expected


def _expected_state(name: str, kind: str, verp_kept: bool) -> str:
    if name in ("arf_complaint", "mailto_unsubscribe"):
        return "unsubscribed"
    if kind == "hard" and verp_kept:
        return "bounced"
    # One soft bounce (limit 3), an auto-reply, an unclassified message, a report refused.
    return "active"


ONE_WEEK = timedelta(days=7)


def nested_multipart(depth: int) -> bytes:
    """``depth`` multiparts, each the only part of the one around it (1,100: about 75 KB,
    deeper than the email parser's recursion goes)."""
    opening = b"".join(
        f'Content-Type: multipart/mixed; boundary="b{n}"\r\n\r\n--b{n}\r\n'.encode()
        for n in range(depth)
    )
    closing = b"".join(f"\r\n--b{n}--".encode() for n in reversed(range(depth)))
    return _stranger(b"MIME-Version: 1.0\r\n" + opening + b"\r\nx" + closing, depth)


def nested_rfc822(depth: int) -> bytes:
    """``depth`` messages, each forwarding the next as message/rfc822."""
    inner = b"Content-Type: message/rfc822\r\n\r\n" * depth
    return _stranger(b"MIME-Version: 1.0\r\n" + inner + b"Subject: core\r\n\r\nx\r\n", depth)


def _stranger(body: bytes, n: int) -> bytes:
    head = f"From: x@example.net\r\nTo: bounces@example.com\r\nMessage-ID: <deep-{n}@x>\r\n"
    return head.encode() + body
