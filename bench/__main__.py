"""`make bench`: run every benchmark of bench/ and print one table."""

from __future__ import annotations

from bench import collect, publish, send, subscribe_load
from bench.table import print_table


def main() -> None:
    rows = collect.run()
    rows += publish.run()
    rows += subscribe_load.run()
    rows += send.run()
    print_table(rows)


if __name__ == "__main__":
    main()
