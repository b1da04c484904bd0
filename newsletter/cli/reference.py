"""The README's command table, generated from the commands themselves.

The README embeds the output of :func:`command_table` between cog markers, and
``tests/test_docs.py`` runs ``cog --check`` on it, so the table can never drift from
``--help`` (sqlite-utils keeps its CLI reference honest the same way). Regenerate with
``make docs``.
"""

from __future__ import annotations

from collections.abc import Iterator

import click


def command_table(group: click.Group | None = None) -> str:
    """A Markdown table: each command's synopsis and the first paragraph of its help."""
    if group is None:
        from newsletter.cli import cli

        group = cli
    lines = ["| command | what it does |", "|---|---|"]
    for path, command in _commands(group, ("newsletter",)):
        lines.append(f"| `{_synopsis(path, command)}` | {_summary(command)} |")
    return "\n".join(lines) + "\n"


def _commands(
    group: click.Group, path: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    for name in sorted(group.commands):
        command = group.commands[name]
        if command.hidden:
            continue
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))
        else:
            yield (*path, name), command


def _synopsis(path: tuple[str, ...], command: click.Command) -> str:
    parts = list(path)
    for param in command.params:
        if isinstance(param, click.Argument):
            parts.append(_argument(param))
        elif isinstance(param, click.Option) and "--help" not in param.opts:
            parts.append(_option(param))
    return " ".join(parts)


def _argument(param: click.Argument) -> str:
    name = (param.metavar or param.name or "ARG").upper()
    many = "…" if param.nargs == -1 else ""
    return f"{name}{many}" if param.required else f"[{name}{many}]"


def _option(param: click.Option) -> str:
    flag = max(param.opts, key=len)
    if param.is_flag or param.count:
        return f"[{flag}]"
    metavar = param.metavar or (param.name or "value").upper()
    return f"[{flag} {metavar}]"


def _summary(command: click.Command) -> str:
    """The help's first paragraph on one line, with `|` escaped for the table."""
    text = (command.help or command.short_help or "").strip()
    first = text.split("\n\n", 1)[0]
    return " ".join(first.split()).replace("|", "\\|")
