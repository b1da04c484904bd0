"""`make bench`: run every benchmark of bench/ and print one table."""

from __future__ import annotations

from bench import collect
from bench.table import print_table


def main() -> None:
    rows = collect.run()
    print_table(rows)


if __name__ == "__main__":
    main()
