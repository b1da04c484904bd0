"""Issue 24, item 3: a message the parser cannot take (about 1,100 nested multiparts or
1,200 nested message/rfc822 raise RecursionError) or too large to read is recorded as
`unclassified`, acknowledged, and the run goes on to the real bounces behind it."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from newsletter.cli import cli
from newsletter.mail.bounces.mailbox import MAX_MESSAGE, MailboxMessage
from newsletter.mail.bounces.process import bounce_report, process_messages
from newsletter.store import SqlStore
from tests.support.bounces import bounce_site, fill, nested_multipart, nested_rfc822, send_week
from tests.support.send import add_subscribers

NOW = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)


def hostile() -> list[bytes]:
    big = b"Subject: big\r\nMessage-ID: <big@x>\r\n\r\n" + b"x" * MAX_MESSAGE
    return [nested_multipart(1100), nested_rfc822(1200), big]


def test_each_hostile_message_is_unclassified_with_its_reason() -> None:
    deep, forwarded, big = hostile()
    assert 70_000 < len(deep) < 80_000
    reports = [bounce_report(data, None) for data in (deep, forwarded, big)]
    assert [r.kind for r in reports] == ["unclassified"] * 3
    assert [r.detail for r in reports] == [
        "cannot be parsed (RecursionError)",
        "cannot be parsed (RecursionError)",
        "over 1024 KiB: not read",
    ]
    assert len({r.message_key for r in reports}) == 3


def test_a_run_acknowledges_them_and_acts_on_the_bounce_behind(
    store: SqlStore, tmp_path: Path, database_url: str
) -> None:
    settings, _ = bounce_site(tmp_path / "site", database_url)
    add_subscribers(store, ["ann@example.org"])
    paths = send_week(settings, store, "2026-W48", NOW)
    real = fill("dsn_11", paths["ann@example.org"], "ann@example.org")
    acked: list[int] = []
    items = [
        MailboxMessage(data, str(n), functools.partial(acked.append, n))
        for n, data in enumerate([*hostile(), real])
    ]
    run = process_messages(settings, store, items, lambda: NOW, "test")
    assert acked == [0, 1, 2, 3], "each acknowledged, in order"
    assert (run.read, dict(run.kinds)) == (4, {"unclassified": 3, "hard": 1})
    ann = store.subscriber("ann@example.org")
    assert ann is not None and ann.state == "bounced"


def test_bounces_process_reads_an_oversize_file_no_further(
    store: SqlStore, tmp_path: Path, database_url: str
) -> None:
    _, env = bounce_site(tmp_path / "site", database_url)
    folder = tmp_path / "in"
    folder.mkdir()
    for n, data in enumerate(hostile()):
        (folder / f"{n}.eml").write_bytes(data)
    with (folder / "3.eml").open("wb") as file:  # 8 MiB, sparse: read no further than 1 MiB
        file.write(b"Subject: huge\r\n\r\n")
        file.truncate(8 * MAX_MESSAGE)
    config = str(tmp_path / "site" / "feeds.yaml")
    result = CliRunner().invoke(
        cli, ["--config", config, "bounces", "process", str(folder)], env=env
    )
    assert result.exit_code == 0, result.output
    assert "4 read: 4 unclassified; 4 ignored" in result.output
