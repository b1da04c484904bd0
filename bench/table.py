"""One table for every benchmark: figure, ours, baseline, ratio, target, peak memory.

A row is a dict: ``figure``, ``ours`` and ``baseline`` (seconds), ``baseline_name``,
``peak_mb``, ``target`` (a ratio, or None), and optionally ``note`` (a line printed under
the table). A row with ``skipped`` (the reason) instead of times says what was not run.
"""

from __future__ import annotations

import sys
from typing import TextIO


def print_table(rows: list[dict[str, object]], out: TextIO | None = None) -> None:
    out = out or sys.stdout
    header = (
        f"{'figure':<62} {'ours':>9} {'baseline':>9} {'ratio':>6} {'target':>7} "
        f"{'peak MB':>8}  baseline"
    )
    print(header, file=out)
    print("-" * len(header), file=out)
    notes = []
    for row in rows:
        if "skipped" in row:
            print(f"{row['figure']:<62} {'not run':>9}", file=out)
            notes.append(f"{row['figure']}: {row['skipped']}")
            continue
        ours, base = float(row["ours"]), float(row["baseline"])  # type: ignore[arg-type]
        target = row.get("target")
        ratio = format(ours / base, ">6.2f") if base > 0 else f"{'n/a':>6}"  # a 0 s CPU tick
        print(
            f"{row['figure']:<62} {ours:>8.2f}s {base:>8.2f}s {ratio} "
            f"{('≤' + format(target, '.2f')) if target else '':>7} "
            f"{float(row['peak_mb']):>8.0f}  {row['baseline_name']}",  # type: ignore[arg-type]
            file=out,
        )
        if row.get("note"):
            notes.append(str(row["note"]))
    if notes:
        print("\nnotes:", file=out)
        for note in notes:
            print(f"- {note}", file=out)
