"""The subscribers commands end to end: the confirmation email goes through the real SMTP
server (or the outbox) and its link confirms; import, export, list and remove."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from newsletter.cli import cli
from newsletter.store import SqlStore
from newsletter.subscribers import Tokens, confirm_subscription
from tests.support.send import SECRET, Recorder, site

Smtp = tuple[Recorder, str]
Run = Callable[..., Result]
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.fixture
def newsletter(database_url: str, store: SqlStore, tmp_path: Path, smtp: Smtp) -> Run:
    """Run a command of the site with the test database and SMTP server."""
    _, env = site(tmp_path / "site", smtp[1], database_url)

    def run(*args: str, smtp_url: str | None = smtp[1], **extra: str) -> Result:
        environ = {**env, "NEWSLETTER_SMTP_URL": smtp_url or "", **extra}
        config = str(tmp_path / "site" / "feeds.yaml")
        return CliRunner().invoke(cli, ["--config", config, *args], env=environ)

    return run


def test_add_sends_a_confirmation_email_whose_link_confirms(
    newsletter: Run,
    store: SqlStore,
    smtp: Smtp,
) -> None:
    recorder, _ = smtp
    result = newsletter("subscribers", "add", "Ann@Example.org", "bob@example.org")
    assert result.exit_code == 0, result.output
    assert "Ann@example.org: added, confirmation email sent" in result.output
    assert sorted(recorder.recipients()) == ["Ann@example.org", "bob@example.org"]
    message = next(m.message for m in recorder.messages if m.rcpt_tos == ["Ann@example.org"])
    assert message["Subject"] == "Please confirm your subscription to Best Running Tips"
    assert message["From"] == "Best Running Tips <news@example.com>"
    text, html = (part.get_content() for part in message.iter_parts())
    link = next(word for word in text.split() if "/confirm/" in word)
    assert link.startswith("https://news.example.com/confirm/") and f'href="{link}"' in html
    ann = store.subscriber("ann@example.org")
    assert ann is not None and ann.state == "pending" and ann.confirm_sent_at is not None
    tokens = Tokens(SECRET)
    token = link.rsplit("/", 1)[1]
    assert tokens.read("unsubscribe", token) is None, "a confirm link unsubscribes nobody"
    assert confirm_subscription(store, tokens, token, NOW).state == "active"


def test_add_confirmed_sends_nothing(newsletter: Run, store: SqlStore, smtp: Smtp) -> None:
    result = newsletter("subscribers", "add", "--confirmed", "ann@example.org")
    assert result.exit_code == 0 and "added, active" in result.output
    assert smtp[0].messages == []


def test_add_without_smtp_writes_the_confirmation_to_the_outbox_only_when_asked(
    newsletter: Run,
    tmp_path: Path,
) -> None:
    refused = newsletter("subscribers", "add", "ann@example.org", smtp_url=None)
    assert refused.exit_code == 2, refused.output
    assert "no mail server: set NEWSLETTER_SMTP_URL" in refused.output
    assert not (tmp_path / "site" / "outbox").exists()
    result = newsletter(
        "subscribers", "add", "ann@example.org", smtp_url=None, NEWSLETTER_OUTBOX="outbox"
    )
    assert result.exit_code == 0, result.output
    (written,) = (tmp_path / "site" / "outbox").glob("*.eml")
    assert b"To: ann@example.org" in written.read_bytes()


def test_a_confirmation_that_cannot_be_sent_fails_the_command(
    newsletter: Run, store: SqlStore, smtp: Smtp
) -> None:
    smtp[0].reject.add("ann@example.org")
    result = newsletter("subscribers", "add", "ann@example.org")
    assert result.exit_code == 1
    assert "ann@example.org: pending, but refused: 550 5.1.1 no such user here" in result.output
    ann = store.subscriber("ann@example.org")
    assert ann is not None and ann.state == "pending" and ann.confirm_sent_at is None


def test_an_invalid_address_is_one_line_and_exit_2(newsletter: Run) -> None:
    result = newsletter("subscribers", "add", "ann@example.org", "not-an-address")
    assert result.exit_code == 2
    assert result.output.strip() == (
        "newsletter: 'not-an-address' is not a valid email address: it needs exactly one @"
    )


def test_import_list_export_and_remove(newsletter: Run, tmp_path: Path) -> None:
    csv_file = tmp_path / "list.csv"
    csv_file.write_text("\ufeffemail,name\nann@example.org,Ann\nbroken\nbob@example.org,\n")
    result = newsletter("subscribers", "import", str(csv_file))
    assert result.exit_code == 0, result.output
    assert f"{csv_file}:3: skipped: 'broken' is not a valid email address" in result.output
    assert "imported 2 new subscriber(s) as confirmed" in result.output
    newsletter("subscribers", "add", "--confirmed", "cy@example.net")
    assert newsletter("subscribers", "remove", "bob@example.org").exit_code == 0
    listed = newsletter("subscribers", "list").output.splitlines()
    assert [line.split()[:2] for line in listed[:-1]] == [
        ["ann@example.org", "active"],
        ["cy@example.net", "active"],
    ]
    assert listed[0].endswith("Ann")
    assert listed[-1] == "0 pending, 2 active, 1 unsubscribed, 0 bounced"
    everyone = newsletter("subscribers", "list", "--all").output
    assert "bob@example.org" in everyone and "unsubscribed" in everyone
    exported = newsletter("subscribers", "export").output.splitlines()
    assert exported[0].startswith("email,name,state")
    assert [row.split(",")[:3] for row in exported[1:]] == [
        ["ann@example.org", "Ann", "active"],
        ["bob@example.org", "", "unsubscribed"],
        ["cy@example.net", "", "active"],
    ]
    again = newsletter("subscribers", "import", str(csv_file))
    assert "1 unsubscribed or bounced earlier and left so" in again.output
    assert "bob@example.org" not in newsletter("subscribers", "list").output


def test_remove_of_an_unknown_address(newsletter: Run) -> None:
    result = newsletter("subscribers", "remove", "nobody@example.org")
    assert result.exit_code == 2 and "nobody@example.org is not on the list" in result.output


def test_import_of_a_file_that_is_not_utf8(newsletter: Run, tmp_path: Path) -> None:
    csv_file = tmp_path / "latin1.csv"
    csv_file.write_bytes("email,name\nann@example.org,Zoë\n".encode("latin-1"))
    result = newsletter("subscribers", "import", str(csv_file))
    assert result.exit_code == 2 and "is not UTF-8 text" in result.output
