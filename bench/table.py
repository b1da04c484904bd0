"""One table for every benchmark: figure, ours, baseline, ratio, peak memory."""

from __future__ import annotations


def print_table(rows: list[dict[str, object]]) -> None:
    header = (
        f"{'figure':<52} {'ours':>9} {'baseline':>9} {'ratio':>6} {'target':>7} "
        f"{'peak MB':>8}  baseline"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        ours, base = float(row["ours"]), float(row["baseline"])  # type: ignore[arg-type]
        target = row.get("target")
        print(
            f"{row['figure']:<52} {ours:>8.2f}s {base:>8.2f}s {ours / base:>6.2f} "
            f"{('≤' + format(target, '.2f')) if target else '':>7} "
            f"{float(row['peak_mb']):>8.0f}  {row['baseline_name']}"  # type: ignore[arg-type]
        )
