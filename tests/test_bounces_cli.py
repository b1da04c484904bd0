"""`bounces process` on a folder, a maildir and an mbox; the return paths on the wire; the
config of bounces; `status` with the figures per digest."""

from __future__ import annotations

import json
import mailbox
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from newsletter.cli import cli
from newsletter.mail import send_confirmations
from newsletter.mail.verp import VerpRef, verp_for
from newsletter.store import SqlStore
from tests.support.bounces import bounce_site, mailbox_of_week, send_week
from tests.support.send import Recorder, add_subscribers, site

Run = Callable[..., Result]
Smtp = tuple[Recorder, str]


@pytest.fixture
def newsletter(database_url: str, store: SqlStore, tmp_path: Path) -> Run:
    _, env = bounce_site(tmp_path / "site", database_url)

    def run(*args: str, **extra: str) -> Result:
        config = str(tmp_path / "site" / "feeds.yaml")
        return CliRunner().invoke(cli, ["--config", config, *args], env={**env, **extra})

    return run


def write_as(kind: str, messages: list[bytes], path: Path) -> Path:
    if kind == "folder":
        path.mkdir()
        for n, data in enumerate(messages):
            (path / f"{n:02}.eml").write_bytes(data)
    elif kind == "maildir":
        box = mailbox.Maildir(path, create=True)
        for data in messages:
            box.add(data)
    else:
        mbox = mailbox.mbox(path)
        for data in messages:
            mbox.add(data)
        mbox.close()
    return path


@pytest.mark.parametrize("kind", ["folder", "maildir", "mbox"])
def test_process_reads_each_layout_and_acts_once(
    kind: str, newsletter: Run, store: SqlStore, tmp_path: Path, database_url: str
) -> None:
    settings, _ = bounce_site(tmp_path / "site", database_url)
    messages, expected = mailbox_of_week(settings, store)
    path = write_as(kind, messages, tmp_path / "in")
    result = newsletter("bounces", "process", str(path))
    assert result.exit_code == 0, result.output
    assert "19 read: 13 hard, 2 soft, 1 complaint, 1 unsubscribe" in result.output
    assert "2 refused" in result.output, "the two hard bounces without our token"
    for address, state in expected.items():
        found = store.subscriber(address.lower())
        assert found is not None and found.state == state, address
    again = newsletter("bounces", "process", str(path))
    assert "19 read (19 done before)" in again.output
    if kind == "maildir":
        assert len(mailbox.Maildir(path, create=False)) == 19, "left as it was"


def test_status_shows_each_digest_and_the_complaint_rate(
    newsletter: Run, store: SqlStore, tmp_path: Path, database_url: str
) -> None:
    settings, _ = bounce_site(tmp_path / "site", database_url)
    messages, _ = mailbox_of_week(settings, store)
    newsletter("bounces", "process", str(write_as("folder", messages, tmp_path / "in")))
    data = json.loads(newsletter("status", "--json").output)
    assert data["deliverability"] == [
        {
            "week": "2026-W48",
            "sent": 19,
            "bounced_hard": 11,
            "bounced_soft": 2,
            "complaints": 1,
            "unsubscribes": 2,
            "complaint_rate": round(1 / 19, 6),
            "complaint_rate_over_gmail_line": True,
        }
    ]
    assert data["bounce_reports_refused"] == 2, "the two hard bounces without our token"
    text = " ".join(newsletter("status").output.split())  # rich wraps to the terminal
    assert "bounce reports refused (they proved nothing): 2" in text
    assert "digest 2026-W48: 19 sent, 11 hard and 2 soft bounces, 1 complaints" in text
    assert "OVER Gmail's 0.3% line" in text


def test_bad_input_is_one_line_and_exit_2(newsletter: Run, tmp_path: Path) -> None:
    missing = newsletter("bounces", "process", str(tmp_path / "nowhere"))
    assert missing.exit_code == 2
    assert "no such file or folder" in missing.output
    unset = newsletter("bounces", "fetch")
    assert unset.exit_code == 2 and "set NEWSLETTER_BOUNCE_IMAP_URL" in unset.output
    clear = newsletter(
        "bounces", "fetch", NEWSLETTER_BOUNCE_IMAP_URL="imap://u:p@mail.example.com/"
    )
    assert clear.exit_code == 2 and "plain imap:// only to 127.0.0.1" in clear.output
    assert len(clear.output.strip().splitlines()) == 1


def test_the_bounce_address_is_checked(write_config: Callable[..., Path]) -> None:
    from newsletter.config import load_settings
    from newsletter.errors import ConfigError

    head = "site:\n  title: T\n  url: https://e.com/\nnewsletter:\n  from: T <n@e.com>\n"
    for bad in (
        "bounce_address: bounces+x@e.com",
        "bounce_address: nobody",
        "soft_bounce_limit: 0",
    ):
        path = write_config("feeds: []\n", head=head + f"  {bad}\n")
        with pytest.raises(ConfigError, match=r"feeds.yaml:6: newsletter\."):
            load_settings(path, {})
    good = write_config("feeds: []\n", head=head + "  bounce_address: b@e.com\n")
    settings = load_settings(good, {})
    assert (settings.newsletter.bounce_address, settings.newsletter.soft_bounce_limit) == (
        "b@e.com",
        3,
    )


def test_digests_and_confirmations_go_out_with_their_own_return_path(
    store: SqlStore, tmp_path: Path, database_url: str, smtp: Smtp
) -> None:
    recorder, url = smtp
    settings, _ = bounce_site(tmp_path / "site", database_url, NEWSLETTER_SMTP_URL=url)
    verp = verp_for(settings)
    assert verp is not None
    add_subscribers(store, ["ann@example.org"])
    add_subscribers(store, ["new@example.org"], state="pending")
    when = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
    send_week(settings, store, "2026-W48", when)
    pending = store.subscriber("new@example.org")
    assert pending is not None
    send_confirmations(settings, store, [pending], lambda: when)
    senders = {m.rcpt_tos[0]: m.mail_from for m in recorder.messages}
    digest_token = senders["ann@example.org"].split("+")[1].split("@")[0]
    ref = verp.read(digest_token)
    assert ref is not None and ref.kind == "digest"
    assert senders["new@example.org"] == verp.address("confirm", pending.id)
    assert verp.read(senders["new@example.org"].split("+")[1].split("@")[0]) == VerpRef(
        "confirm", pending.id
    )
    assert all(
        m.message["From"] == "Best Running Tips <news@example.com>" for m in recorder.messages
    )


def test_without_a_bounce_address_the_return_path_is_the_from_address(
    store: SqlStore, tmp_path: Path, database_url: str
) -> None:
    settings, _ = site(tmp_path / "plain", database_url=database_url)
    add_subscribers(store, ["ann@example.org"])
    paths = send_week(settings, store, "2026-W48", datetime(2026, 11, 30, 7, 0, tzinfo=UTC))
    assert paths == {"ann@example.org": "news@example.com"}
