"""No digest is mailed before its send time, whatever order commands come in; a late or
out-of-order digest only when the owner says --late. The issue's sequence, on a real
database and a real SMTP server, with the clock injected into every command."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from newsletter.cli import cli
from newsletter.config import Newsletter, SendOn
from newsletter.digest.release import (
    NeedsLate,
    NotDue,
    check_build,
    check_send,
    dated,
    latest_due,
    week_to_send,
)
from newsletter.publish import archive, publish_site
from newsletter.run import send_due_digest
from newsletter.store import SqlStore
from tests.support.clock import Clock
from tests.support.send import Recorder, add_digest, add_subscribers, site

# Tuesday of 2026-W49, as in the issue; sites send on Mondays at 07:00 UTC by default.
TUESDAY_W49 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
MONDAY = Newsletter("A <a@example.com>", SendOn(0, datetime(2026, 1, 1, 7, 0).time()), "UTC")
Smtp = tuple[Recorder, str]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock(TUESDAY_W49)
    for module in ("digest", "send"):
        monkeypatch.setattr(f"newsletter.cli.{module}.utcnow", clock)
    return clock


@pytest.fixture
def newsletter(database_url: str, tmp_path: Path, smtp: Smtp, clock: Clock) -> CliRunner:
    _, env = site(tmp_path / "site", smtp[1], database_url)
    return CliRunner(env=env)


def command(runner: CliRunner, tmp_path: Path, *args: str, input: str | None = None) -> Result:
    return runner.invoke(
        cli, ["--config", str(tmp_path / "site" / "feeds.yaml"), *args], input=input
    )


def weeks_mailed(recorder: Recorder) -> list[str]:
    return [str(m.message["Message-ID"]).split(".")[0].removeprefix("<digest-") for m in
            recorder.messages]  # fmt: skip


@pytest.mark.slow  # worker processes or a server
def test_the_issues_sequence(
    newsletter: CliRunner,
    tmp_path: Path,
    store: SqlStore,
    smtp: Smtp,
    clock: Clock,
    database_url: str,
) -> None:
    def run(*args: str) -> Result:
        return command(newsletter, tmp_path, *args)

    add_subscribers(store, ["a@example.org", "b@example.org", "c@example.org"])
    # Next week's digest builds (a preview of it is fine) ...
    ahead = run("digest", "--week", "2026-W50")
    assert ahead.exit_code == 0, ahead.output
    assert "not mailed before its send time, Mon 07 Dec 2026 07:00 UTC" in ahead.output
    # ... but neither the default send, nor asking for it, nor cron's send mails it.
    waiting = run("send")
    assert waiting.exit_code == 0, waiting.output
    assert waiting.output == (
        "nothing to send: digest 2026-W50 is not due until Mon 07 Dec 2026 07:00 UTC\n"
    )
    early = run("send", "--week", "2026-W50", "--late", "--yes")
    assert early.exit_code == 1
    assert early.output == (
        "newsletter: digest 2026-W50 is not due until Mon 07 Dec 2026 07:00 UTC; nothing sent\n"
    )
    settings = site(tmp_path / "site", smtp[1], database_url)[0]
    assert send_due_digest(settings, store, clock).nothing is not None
    assert smtp[0].messages == []

    # This week's digest is due since Monday: built and mailed to all three.
    assert run("digest").exit_code == 0
    sent = run("send")
    assert sent.exit_code == 0, sent.output
    assert weeks_mailed(smtp[0]) == ["2026-W49"] * 3

    # Last week's, built late, is out of order: refused unless the owner says --late.
    refused = run("digest", "--week", "2026-W48")
    assert refused.exit_code == 2
    assert refused.output == (
        "newsletter: digest 2026-W48 would come out after 2026-W49's, out of order; "
        "pass --late to build it anyway\n"
    )
    assert store.built_digest("2026-W48") is None
    assert run("digest", "--week", "2026-W48", "--late").exit_code == 0
    late = store.built_digest("2026-W48")
    assert late is not None
    assert late.built_at == datetime(2026, 11, 23, 7, 0, tzinfo=UTC), "dated its send time"
    not_asked = run("send", "--week", "2026-W48")
    assert not_asked.exit_code == 2 and "pass --late to send it anyway" in not_asked.output
    assert len(smtp[0].messages) == 3
    assert run("send", "--week", "2026-W48", "--late").exit_code == 0
    assert weeks_mailed(smtp[0])[3:] == ["2026-W48"] * 3

    # Monday of W50 at 07:00 it is due, and cron's send step mails it, once.
    clock.now = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
    report = send_due_digest(settings, store, clock)
    assert (report.week, report.sent) == ("2026-W50", 3)
    assert send_due_digest(settings, store, clock).sent == 0
    assert weeks_mailed(smtp[0])[6:] == ["2026-W50"] * 3


# The decisions themselves


def test_nothing_is_due_before_its_send_time() -> None:
    monday_7 = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
    with pytest.raises(NotDue):
        check_send("2026-W49", monday_7 - timedelta(seconds=1), MONDAY, ["2026-W49"], late=True)
    check_send("2026-W49", monday_7, MONDAY, ["2026-W49"], late=False)
    assert latest_due(["2026-W48", "2026-W49", "2026-W50"], monday_7, MONDAY) == "2026-W49"
    assert latest_due(["2026-W50"], monday_7, MONDAY) is None


def test_late_and_out_of_order_need_the_owner() -> None:
    now = TUESDAY_W49
    with pytest.raises(NeedsLate):  # the week is over
        check_build("2026-W47", now, MONDAY, [], late=False)
    with pytest.raises(NeedsLate):  # older than the latest due
        check_send("2026-W48", now, MONDAY, ["2026-W48", "2026-W49"], late=False)
    check_build("2026-W47", now, MONDAY, [], late=True)
    check_build("2026-W48", now, MONDAY, ["2026-W48", "2026-W49"], late=False)  # built: shown
    check_build("2026-W51", now, MONDAY, ["2026-W49"], late=False)  # ahead is fine
    # A paused send of last week may resume while this week's digest is not built yet.
    check_send("2026-W48", now, MONDAY, ["2026-W48"], late=False)
    assert week_to_send(None, ["2026-W48", "2026-W50"], now, MONDAY, False).week == "2026-W48"
    assert dated("2026-W48", now, MONDAY) == datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
    assert dated("2026-W49", now, MONDAY) == now


def test_a_digest_built_ahead_stays_off_the_site_until_its_send_time(
    store: SqlStore, tmp_path: Path
) -> None:
    settings, _ = site(tmp_path / "site")
    add_digest(store, week="2026-W49", subject="Best Running Tips: week 49")
    add_digest(store, week="2026-W50", subject="Best Running Tips: week 50")
    out = tmp_path / "public"

    before = publish_site(settings, store, TUESDAY_W49, out)
    assert before.digests == 1
    index = (out / "archive" / "index.html").read_text(encoding="utf-8")
    assert "week 49" in index
    assert "week 50" not in index
    assert "week 50" not in (out / archive.FEED_NAME).read_text(encoding="utf-8")
    assert not (out / archive.page_name("2026-W50")).exists()

    monday_w50 = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
    after = publish_site(settings, store, monday_w50, out)
    assert after.digests == 2
    assert "week 50" in (out / "archive" / "index.html").read_text(encoding="utf-8")
    assert (out / archive.page_name("2026-W50")).exists()
