"""Every benchmark of bench/ at a tiny size, so none of them can rot unnoticed.

The figures are not checked (a benchmark never asserts a time); what is checked is that each
one runs to the end and returns well-formed rows, that its own checks held (every entry
collected, every message delivered exactly once), and that the table prints them.
"""

from __future__ import annotations

import io

import pytest

from bench import (
    collect,
    federate,
    feeds,
    pg_setup,
    programmes,
    publish,
    reader_peer,
    rss2email,
    scale_pg,
    send,
    send_postfix,
    startup,
    subscribe_load,
)
from bench.memory import cpu_seconds, peak_mb, reset_peak
from bench.table import print_table

pytestmark = pytest.mark.slow  # every benchmark, at a tiny size


def assert_rows(rows: list[dict[str, object]]) -> None:
    assert rows
    for row in rows:
        if "skipped" in row:
            continue
        # CPU seconds tick in 10 ms steps: at these tiny sizes a side may read 0.
        cpu = "CPU seconds" in str(row["figure"])
        for side in ("ours", "baseline"):
            value = float(row[side])  # type: ignore[arg-type]
            assert value >= 0 if cpu else value > 0, row
        assert 1 < float(row["peak_mb"]) < 2000, row  # type: ignore[arg-type]
    out = io.StringIO()
    print_table(rows, out)
    for row in rows:
        assert str(row["figure"]) in out.getvalue()


def test_collect_with_rss2email() -> None:
    rows = collect.run(3)
    assert_rows(rows)
    figures = [str(row["figure"]) for row in rows]
    assert figures[:2] == [
        "collect 3 feeds x 50 entries",
        "collect rerun, 3 unchanged feeds (all 304)",
    ]
    by_figure = {str(row["figure"]): row for row in rows}
    if reader_peer.unavailable() is None:
        first = by_figure["collect 3 feeds, vs reader 3.26"]
        rerun = by_figure["collect rerun, 3 unchanged, vs reader 3.26"]
        assert (first["target"], rerun["target"]) == (0.5, 0.3)
    else:
        assert by_figure["reader 3.26, 3 feeds"]["skipped"] == reader_peer.unavailable()
    if rss2email.unavailable() is None:
        assert by_figure["rerun command, 3 unchanged, vs rss2email 3.14"]["target"] == 0.15
        assert len(rows) == 6, rows
    else:
        assert by_figure["rss2email 3.14, 3 feeds"]["skipped"] == rss2email.unavailable()


def test_collect_small_feeds() -> None:
    (row,) = collect.small(3)
    assert_rows([row])
    assert (row["figure"], row["target"]) == ("collect 3 small feeds (50 x 1.7 KB)", 0.7)


def test_feeds_are_served_by_aiohttp_without_nginx(monkeypatch: pytest.MonkeyPatch) -> None:
    import httpx

    monkeypatch.setenv("BENCH_NO_NGINX", "1")
    assert feeds.server_name() == "aiohttp"
    with feeds.serve(2) as urls:
        first = httpx.get(urls[1])
        again = httpx.get(urls[1], headers={"If-None-Match": first.headers["etag"]})
    assert (first.status_code, again.status_code) == (200, 304)
    assert b"Bench feed 1" in first.content


def test_process_start_rows() -> None:
    rows = startup.run(repeat=1)
    assert_rows(rows)
    assert [str(row["figure"]).split(":")[1].split()[1] for row in rows] == [
        "--help",
        "status",
        "run",
    ]


def test_publish() -> None:
    assert_rows(publish.run(60))


def test_subscribe_load() -> None:
    assert_rows(subscribe_load.run(clients=4, threads=2))


def test_send() -> None:
    rows = send.run(messages=30, lists=(20, 40))
    assert_rows(rows)
    assert all("send" in str(row["figure"]) for row in rows[:2]), rows


def test_send_into_postfix() -> None:
    """Through a real Postfix (tests/support/postfix.py), which must log every message of
    every run discarded exactly once."""
    rows = send_postfix.run(messages=30, rounds=1)
    if "skipped" in rows[0]:
        pytest.skip(str(rows[0]["skipped"]))
    assert_rows(rows)
    assert [row["target"] for row in rows] == [1.0, None, None]
    assert "all 90 found discarded once" in str(rows[2]["note"]), rows[2]["note"]


def test_federate() -> None:
    rows = federate.run(followers=60, servers=6, rounds=1)
    assert_rows(rows)
    assert [row["target"] for row in rows] == [1.0, None, None] * 2
    assert "60 POSTs" in str(rows[0]["figure"]) and "6 POSTs" in str(rows[3]["figure"])


def test_programmes() -> None:
    """Readers over the 11 steps against the digest to them: each side's own checks (every
    step queued, every reader sent one message) hold on both databases."""
    rows = programmes.run(readers=44)
    assert_rows(rows)
    figures = [str(row["figure"]) for row in rows]
    assert figures[0] == "programmes: 44 readers over 11 steps, SQLite", figures
    assert [row.get("target") for row in rows[:2]] == [1.25, None]
    assert "step emails/s" in str(rows[0]["note"])
    if "skipped" not in rows[2]:
        assert "PostgreSQL" in figures[2] and len(rows) == 4, figures


def test_postgresql_scale() -> None:
    reason = pg_setup.unreachable(pg_setup.postgres_url())
    if reason:
        pytest.skip(reason)
    rows = scale_pg.run(sizes=(120,), senders=2, workers=1, sample=50)
    assert_rows(rows)
    queue, sending = rows
    assert "queue_deliveries" in str(queue["figure"])
    assert "0 duplicates, 0 missed of 120" in str(sending["note"]), sending["note"]


def test_postgresql_scale_capped_send() -> None:
    """--send-limit sends only the first rows; the check compares with those."""
    if pg_setup.unreachable(pg_setup.postgres_url()):
        pytest.skip("PostgreSQL is unreachable")
    found = scale_pg.measure(80, senders=2, workers=1, send_limit=30)
    assert found["due"] == found["received"] == found["sent_rows"] == 30, found
    assert found["missed"] == found["duplicates"] == found["unexpected"] == 0, found


def test_memory_of_this_process() -> None:
    assert 5 < peak_mb() < 2000
    assert cpu_seconds() > 0
    held = b"x" * 200_000_000  # written, so resident
    del held
    before = peak_mb()
    reset_peak()  # the peak starts again from what this process holds now
    assert peak_mb() < before - 150
    assert peak_mb(2**22 + 7) == 0.0  # no such process
