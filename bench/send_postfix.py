"""Send N digest emails into a real Postfix on loopback: newsletter's sender vs raw smtplib.

Run as ``python -m bench.send_postfix [--messages 20000] [--rounds 3]`` (as root: Postfix's
master starts only as root). The same two sides as bench/send.py (the whole pipeline on
SQLite, and the same bytes prebuilt and sent over one smtplib connection, each in its own
process), but the server is Debian's Postfix, started by tests/support/postfix.py in its own
folder: each message is taken into its queue (written and synced to disk) before the 250,
then handed to ``discard:`` so the queue never grows. This is the relay a site owner runs;
bench/send.py's sink measures the sender alone.

After each run, the next waits until Postfix has emptied its queue, and Postfix's log must
show every message of every run discarded exactly once.
"""

from __future__ import annotations

import argparse
import re

from bench.send import emails, measure, median
from tests.support.postfix import Postfix, postfix_missing, running_postfix

BENCH_DOMAIN = "bench.example"  # bench/send.py's readers and sender
DISCARDED = re.compile(r" postfix/discard\[\d+\]: \w+: to=<([^>]+)>.* status=sent ")


def run(messages: int = 20_000, rounds: int = 3) -> list[dict[str, object]]:
    """Baseline, ours with 1 worker and with 4, in turn, ``rounds`` times; medians compared."""
    reason = postfix_missing()
    if reason:
        return [{"figure": f"send {messages:,} digests into Postfix", "skipped": reason}]
    sides = {"baseline": ("baseline", 1), "1": ("ours", 1), "4": ("ours", 4)}
    runs: dict[str, list[dict[str, float]]] = {side: [] for side in sides}
    with running_postfix(BENCH_DOMAIN, "discard:") as postfix:
        for _ in range(rounds):
            for side, (mode, workers) in sides.items():
                runs[side].append(measure(mode, postfix.port, messages, workers))
                postfix.wait_until_empty()
        discarded = _discarded(postfix)
    each = len(sides) * rounds
    expected = {address: each for address in emails(messages)}
    assert discarded == expected, "each run's every message, into Postfix once"
    base = median(runs["baseline"])
    rows: list[dict[str, object]] = [
        {
            "figure": f"send {messages:,} digests into Postfix, {workers} worker(s), SQLite",
            "ours": median(runs[str(workers)])["seconds"],
            "baseline": base["seconds"],
            "baseline_name": f"raw smtplib into the same Postfix (median of {rounds})",
            "peak_mb": median(runs[str(workers)])["peak_mb"],
            "target": 1.0 if workers == 1 else None,  # no slower than raw smtplib
        }
        for workers in (1, 4)
    ]
    mine = median(runs["1"])
    rows.append(
        {
            "figure": "  the same, CPU seconds of the sending process (1 worker)",
            "ours": mine["cpu"],
            "baseline": base["cpu"],
            "baseline_name": "raw smtplib's CPU seconds",
            "peak_mb": mine["peak_mb"],
            "target": None,
            "note": (
                f"send into Postfix: {messages:,} messages a run, {each} runs, each taken into "
                "Debian's Postfix's queue (written and synced) before its 250, then discarded; "
                f"all {each * messages:,} found discarded once in its log. Postfix's smtpd, "
                "cleanup and qmgr share the cores with the sender: the server, not the "
                "client, sets the pace, and 4 workers keep 4 smtpd processes busy"
            ),
        }
    )
    return rows


def _discarded(postfix: Postfix) -> dict[str, int]:
    counts: dict[str, int] = {}
    for found in DISCARDED.finditer(postfix.log()):
        counts[found[1]] = counts.get(found[1], 0) + 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    from bench.table import print_table

    print_table(run(args.messages, args.rounds))


if __name__ == "__main__":
    main()
