"""The `newsletter` command: thin commands over config, collect, store and friends.

Each capability registers its commands from its own module; each command's docstring is
its --help.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from newsletter.cli import (
    admin,
    bounces,
    collect,
    db,
    digest,
    exercises,
    feeds,
    init,
    note,
    programmes,
    publish,
    questions,
    run,
    send,
    serve,
    status,
    subscribers,
)
from newsletter.cli.app import cli, utcnow

__all__ = ["cli", "main", "utcnow"]

COMMAND_MODULES = (
    init,
    run,
    collect,
    status,
    db,
    digest,
    note,
    exercises,
    programmes,
    send,
    subscribers,
    questions,
    publish,
    feeds,
    serve,
    bounces,
    admin,
)
for module in COMMAND_MODULES:
    for command in module.COMMANDS:
        cli.add_command(command)


def main(argv: Sequence[str] | None = None) -> None:
    cli.main(args=list(argv) if argv is not None else sys.argv[1:], prog_name="newsletter")
