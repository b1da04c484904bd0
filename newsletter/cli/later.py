"""Commands whose capabilities are not built yet: each says so in one line."""

from __future__ import annotations

from typing import NoReturn

import click

from newsletter.errors import NotAvailable


def _later(command: str, capability: str) -> NoReturn:
    raise NotAvailable(f"`newsletter {command}` is not available yet (it comes with {capability})")


COMMANDS: list[click.Command] = []
