"""A week's digest as a site owner sends it: `newsletter run` hands it to a real Postfix on
loopback (tests/support/postfix.py), which relays it over LMTP to a real Dovecot; each
subscriber's mailbox is read back over IMAP. What arrives is what a reader's provider
gets: one digest each, both List-Unsubscribe headers, and a DKIM signature that still
verifies after the relay has added its own headers.

Issue 21's readers with their own choices get theirs the same way, and so does issue 22's
new reader: the confirmation, the welcome email and the programme's first step."""

from __future__ import annotations

import email
import email.policy
import os
import re
import shutil
import smtplib
import subprocess
import sys
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select

from newsletter.config import Settings, load_settings
from newsletter.mail.verp import VerpRef, verp_for
from newsletter.programmes.file import load_site_programmes
from newsletter.programmes.render import StepRenderer
from newsletter.store import SqlStore
from newsletter.store.deliveries import DeliveryState
from newsletter.store.models import Delivery
from newsletter.subscribers.choosing import save_choice
from newsletter.subscribers.preferences import Choice
from newsletter.web import UNLIMITED
from tests.support.deliverability import DOMAIN, SELECTOR, DkimKey
from tests.support.postfix import READERS_DOMAIN, MailServer
from tests.support.send import BASE_URL, SECRET
from tests.support.web import Browser, make_app

pytestmark = pytest.mark.slow

ROOT = Path(__file__).parents[1]
CLOCKED = ROOT / "tests" / "support" / "clocked.py"
FRIDAY_BEFORE = "2026-11-20T09:00:00+00:00"  # the site runs before W48's send time
WEDNESDAY = "2026-11-25T09:00:00+00:00"  # W48's digest is due (Monday 23 Nov 07:00, London)
READERS_OF_THE_WEEK = [f"{name}@{READERS_DOMAIN}" for name in ("ann", "bob", "cat")]


def signing_site(folder: Path, key: DkimKey, extra: str = "") -> Path:
    """The bundled site (four feeds from examples/, a week of articles and questions),
    signing with ``key`` as newsletter.dkim; ``extra``: more lines of newsletter:."""
    folder.mkdir()
    shutil.copytree(ROOT / "examples", folder / "examples")
    config = (ROOT / "feeds.yaml").read_text(encoding="utf-8")
    dkim = f"newsletter:\n{extra}  dkim:\n    selector: {SELECTOR}\n    domain: {DOMAIN}\n"
    assert config.count("newsletter:\n") == 1, "the bundled feeds.yaml changed shape"
    (folder / "feeds.yaml").write_text(config.replace("newsletter:\n", dkim), encoding="utf-8")
    return folder


def signing_site_sending(
    tmp_path: Path, key: DkimKey, database_url: str, mail_server: MailServer, extra: str = ""
) -> tuple[Path, dict[str, str]]:
    """The signing site and the environment its commands run with: this test's database,
    the test's Postfix, the DKIM key."""
    env = {
        "NEWSLETTER_DATABASE_URL": database_url,
        "NEWSLETTER_SMTP_URL": mail_server.smtp_url,
        "NEWSLETTER_DKIM_KEY_FILE": str(key.path),
        "NEWSLETTER_SECRET_KEY": SECRET,
        "NEWSLETTER_BASE_URL": BASE_URL,
    }
    return signing_site(tmp_path / "site", key, extra), env


def newsletter(site: Path, env: dict[str, str], now: str, *args: str) -> str:
    """The command in the site's folder, its clock at ``now`` (tests/support/clocked.py)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("NEWSLETTER_")}
    result = subprocess.run(
        [sys.executable, str(CLOCKED), *args],
        cwd=site,
        env={**environ, **env, "CLOCKED_NOW": now},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def parse(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def test_a_week_through_postfix_arrives_once_per_reader_signed_with_one_click_unsubscribe(
    store: SqlStore, database_url: str, mail_server: MailServer, tmp_path: Path
) -> None:
    key = DkimKey(tmp_path)
    site, env = signing_site_sending(tmp_path, key, database_url, mail_server)
    newsletter(site, env, FRIDAY_BEFORE, "run")
    newsletter(site, env, FRIDAY_BEFORE, "subscribers", "add", "--confirmed", *READERS_OF_THE_WEEK)
    said = newsletter(site, env, WEDNESDAY, "run")
    mail_server.wait_until_delivered(len(READERS_OF_THE_WEEK))
    newsletter(site, env, WEDNESDAY, "run")  # again, as cron would: nothing more goes out
    mail_server.wait_until_delivered(len(READERS_OF_THE_WEEK))

    digest = store.digest_to_send("2026-W48")
    assert digest is not None, said
    assert store.delivery_counts(digest.id)[DeliveryState.SENT] == len(READERS_OF_THE_WEEK)
    assert mail_server.dovecot.delivered() == len(READERS_OF_THE_WEEK), "none twice"
    for address in READERS_OF_THE_WEEK:
        [data] = mail_server.mailbox(address)
        message = parse(data)
        assert str(message["Delivered-To"]) == address
        assert address in str(message["To"])
        assert message["Subject"] == digest.subject
        assert str(message["Received"]).count("mx.postfix.test"), "it came through Postfix"
        unsubscribe = str(message["List-Unsubscribe"])
        assert f"<{BASE_URL}unsubscribe/" in unsubscribe and "<mailto:" in unsubscribe
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert key.verify(data), f"the DKIM signature fails as delivered to {address}"
        assert not key.verify(data.replace(b"unsubscribe/", b"unsubscribe/x", 1))


def test_the_harness_refuses_other_domains_and_reports_what_is_stuck(
    mail_server: MailServer,
) -> None:
    """The harness itself: nothing leaves for a domain it does not serve, and a wait
    that cannot succeed fails with the queue and the mail log in its message."""
    with smtplib.SMTP("127.0.0.1", mail_server.postfix.port, timeout=60) as client:
        to = ["eve@example.org", f"dan@{READERS_DOMAIN}"]
        refused = client.sendmail("news@example.com", to, b"Subject: hello\r\n\r\nHi.\r\n")
    assert list(refused) == ["eve@example.org"]
    mail_server.wait_until_delivered(1)
    assert [parse(data)["Subject"] for data in mail_server.mailbox(f"dan@{READERS_DOMAIN}")] == [
        "hello"
    ]
    with pytest.raises(AssertionError) as failed:
        mail_server.wait_until_delivered(2, within=0.5)
    said = str(failed.value)
    assert "1 of 2 messages delivered and 0 still queued" in said and "status=sent" in said, said


WEDNESDAY_W50 = "2026-12-09T09:00:00+00:00"  # Wednesday of W50: its digest (7 December) is due
MARATHON_ONLY = f"ann@{READERS_DOMAIN}"
MONTHLY = f"bob@{READERS_DOMAIN}"
PLAIN_TEXT = f"cat@{READERS_DOMAIN}"
OTHER_SECTIONS = frozenset(
    {"feed-running-training", "feed-beginner-running-tips", "questions", "exercise"}
)


def text_part(message: EmailMessage, subtype: str = "plain") -> str:
    """The message's text/plain part (or the ``subtype`` asked for, e.g. html)."""
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None
    return str(part.get_content())


def test_readers_preferences_hold_through_postfix(
    store: SqlStore, database_url: str, mail_server: MailServer, tmp_path: Path
) -> None:
    """Issue 21: three readers with their own choices, a week and then the month's first
    digest through Postfix into their mailboxes, read back over IMAP."""
    key = DkimKey(tmp_path)
    site, env = signing_site_sending(tmp_path, key, database_url, mail_server)
    newsletter(site, env, FRIDAY_BEFORE, "run")
    readers = (MARATHON_ONLY, MONTHLY, PLAIN_TEXT)
    newsletter(site, env, FRIDAY_BEFORE, "subscribers", "add", "--confirmed", *readers)
    chosen = {
        MARATHON_ONLY: Choice(off=OTHER_SECTIONS),
        MONTHLY: Choice(frequency="monthly"),
        PLAIN_TEXT: Choice(format="text"),
    }
    for address, choice in chosen.items():
        record = store.subscriber(address)
        assert record is not None
        assert save_choice(store, record, choice, datetime(2026, 11, 20, 10, tzinfo=UTC))

    newsletter(site, env, WEDNESDAY, "run")
    mail_server.wait_until_delivered(2)  # the marathon reader's and the plain-text reader's

    assert mail_server.mailbox(MONTHLY) == [], "a monthly reader waits for the month's digest"
    [marathon] = [parse(data) for data in mail_server.mailbox(MARATHON_ONLY)]
    text = text_part(marathon)
    assert "Marathon Running Tips \u00b7" in text
    for other in ("Running Training \u00b7", "Beginner Running Tips \u00b7", "Asked by"):
        assert other not in text, other
    assert "FOOT EXERCISE OF THE WEEK" not in text
    [data] = mail_server.mailbox(PLAIN_TEXT)
    plain = parse(data)
    assert not plain.is_multipart() and plain.get_content_type() == "text/plain"
    assert "Marathon Running Tips \u00b7" in plain.get_content()
    assert "Running Training \u00b7" in plain.get_content()
    assert f"<{BASE_URL}unsubscribe/" in str(plain["List-Unsubscribe"])
    assert "<mailto:" in str(plain["List-Unsubscribe"])
    assert plain["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f"{BASE_URL}preferences/" in plain.get_content()
    assert key.verify(data), "the plain-text message's DKIM signature fails as delivered"

    newsletter(site, env, WEDNESDAY_W50, "run")  # 7 December: the month's first digest
    mail_server.wait_until_delivered(5)
    [monthly] = [parse(data) for data in mail_server.mailbox(MONTHLY)]
    assert "2026-W50" in str(monthly["Message-ID"])
    assert len(mail_server.mailbox(MARATHON_ONLY)) == len(mail_server.mailbox(PLAIN_TEXT)) == 2


FRIDAY_MORNING = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)  # the reader signs up, confirms
FRIDAY_LATER = "2026-11-20T10:00:00+00:00"  # no digest on Fridays; past the 07:00 send hour
FRIDAY_EVENING = "2026-11-20T18:00:00+00:00"
ENROLLED = f"fay@{READERS_DOMAIN}"
BOUNCES = "bounces@example.com"


def test_a_reader_who_joins_the_programme_gets_welcome_and_step_through_postfix(
    store: SqlStore, database_url: str, mail_server: MailServer, tmp_path: Path
) -> None:
    """Issue 22, a reader's first day: they sign up on the web form ticking the shipped
    programme, confirm from the email Postfix delivered, get the welcome email, and `newsletter
    run` on that Friday (no digest) sends them the programme's step 1; a second run that
    evening sends nothing. Each read back over IMAP, signed, with both List-Unsubscribe
    headers and a VERP return path naming what it was."""
    key = DkimKey(tmp_path)
    verp_line = f"  bounce_address: {BOUNCES}\n"
    site, env = signing_site_sending(tmp_path, key, database_url, mail_server, verp_line)
    newsletter(site, env, FRIDAY_BEFORE, "run")  # publishes the exercises' pictures
    settings = load_settings(site / "feeds.yaml", env)
    [feet] = load_site_programmes(site)
    browser = Browser(make_app(settings, store, lambda: FRIDAY_MORNING, UNLIMITED))
    assert browser.subscribe(ENROLLED, programme=feet.key).status_code == 200
    mail_server.wait_until_delivered(1)
    [confirmation] = [parse(data) for data in mail_server.mailbox(ENROLLED)]
    [confirm] = re.findall(rf"{re.escape(BASE_URL)}(confirm/\S+)", text_part(confirmation))
    assert browser.get(f"/{confirm}").status_code == 200
    assert browser.post(f"/{confirm}").status_code == 200  # the welcome goes after the page
    mail_server.wait_until_delivered(2)

    said = newsletter(site, env, FRIDAY_LATER, "run")
    mail_server.wait_until_delivered(3)
    newsletter(site, env, FRIDAY_EVENING, "run")  # cron again, the same day
    mail_server.wait_until_delivered(3)

    assert mail_server.dovecot.delivered() == 3, "confirm, welcome, step 1: none twice"
    assert store.programme_counts(feet.key).at_step == {1: 1}, said
    _, welcome_data, step_data = mail_server.mailbox(ENROLLED)
    reader = store.subscriber(ENROLLED)
    assert reader is not None
    welcome = parse(welcome_data)
    assert str(welcome["Subject"]).startswith("Welcome! Your first digest comes on Monday 23")
    assert_readers_message(welcome_data, key, settings, site)
    assert verp_ref(welcome, settings) == VerpRef("welcome", reader.id)

    step = parse(step_data)
    assert step["Subject"] == StepRenderer(settings).render(feet, 1).subject
    assert "week 1" in str(step["Subject"]) and "<programme-" in str(step["Message-ID"])
    picture = assert_readers_message(step_data, key, settings, site)
    assert f"archive/exercises/{feet.step(1).exercise}." in picture
    ref = verp_ref(step, settings)
    assert ref.kind == "digest", "a row of the ledger"
    assert delivery_row(store, ref.id) == (reader.id, DeliveryState.SENT, True)


def assert_readers_message(data: bytes, key: DkimKey, settings: Settings, site: Path) -> str:
    """What every reader's message carries as delivered: it came through Postfix, both
    List-Unsubscribe headers, a DKIM signature that verifies, and an exercise picture that
    is on the site (publish wrote it). The picture's URL."""
    message = parse(data)
    assert str(message["Received"]).count("mx.postfix.test"), "it came through Postfix"
    unsubscribe = str(message["List-Unsubscribe"])
    assert f"<{BASE_URL}unsubscribe/" in unsubscribe and "<mailto:" in unsubscribe
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert key.verify(data), f"the DKIM signature of {message['Subject']} fails as delivered"
    html = text_part(message, "html")
    pictures: list[str] = re.findall(r'<img class="picture"[^>]* src="([^"]+)"', html)
    [picture] = pictures
    assert picture.startswith(f"{BASE_URL}archive/exercises/"), picture
    assert (site / "public" / picture.removeprefix(BASE_URL)).is_file(), "published"
    return picture


def verp_ref(message: EmailMessage, settings: Settings) -> VerpRef:
    """What the VERP token of the message's return path (as Dovecot wrote it) names."""
    local, _, domain = str(message["Return-Path"]).strip("<>").partition("@")
    verp = verp_for(settings)
    assert verp is not None and f"{local.split('+')[0]}@{domain}" == BOUNCES
    ref = verp.read(local.partition("+")[2])
    assert ref is not None, message["Return-Path"]
    return ref


def delivery_row(store: SqlStore, row_id: int) -> tuple[int, str, bool]:
    """A ledger row's subscriber, state, and whether a programme mailing is its parent."""
    query = select(Delivery.subscriber_id, Delivery.state, Delivery.mailing_id.is_not(None))
    with store.engine.connect() as connection:
        found = connection.execute(query.where(Delivery.id == row_id)).one()
    return int(found[0]), str(found[1]), bool(found[2])
