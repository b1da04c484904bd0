"""Add items to the ``feeds:`` list of feeds.yaml as text, keeping every other byte.

Loading and dumping the YAML would lose the owner's comments, blank lines and order, so
the new items are written in the file's own indentation right after the last feed.
"""

from __future__ import annotations

import yaml

from newsletter.errors import NewsletterError


class ConfigTextError(NewsletterError):
    """feeds.yaml is laid out in a way new feeds cannot be added to as text."""


def append_feed_lines(text: str, items: list[list[str]], where: str) -> str:
    """``text`` with one ``- key: value`` block per item appended to its ``feeds:`` list."""
    feeds = _feeds_node(text, where)
    if feeds.flow_style:
        if feeds.value:
            raise ConfigTextError(
                f"{where}:{feeds.start_mark.line + 1}: feeds: is written on one line; "
                "write it as a list of '- name: …' items, then import again"
            )
        return _replace_empty_list(text, feeds, _block(items, 2, 4))
    first = feeds.value[0]
    block = _block(items, feeds.start_mark.column, first.start_mark.column)
    at = _end_of_line(text, _last_scalar(feeds).end_mark.index)
    head = text[:at] if text[:at].endswith("\n") or not at else text[:at] + "\n"
    return head + block + text[at:]


def _feeds_node(text: str, where: str) -> yaml.SequenceNode:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        raise ConfigTextError(f"{where} is not valid YAML") from None
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if key.value == "feeds" and isinstance(value, yaml.SequenceNode):
                return value
    raise ConfigTextError(f"{where} has no 'feeds:' list to add to")


def _block(items: list[list[str]], dash: int, key: int) -> str:
    out = []
    for lines in items:
        out.append(" " * dash + "- " + " " * max(0, key - dash - 2) + lines[0] + "\n")
        out.extend(" " * key + line + "\n" for line in lines[1:])
    return "".join(out)


def _replace_empty_list(text: str, node: yaml.SequenceNode, block: str) -> str:
    start, end = node.start_mark.index, node.end_mark.index
    line_end = text.find("\n", end)
    line_end = len(text) if line_end == -1 else line_end
    rest_of_line = text[end:line_end].rstrip()  # a comment after "[]" stays
    head = text[:start].rstrip(" ")
    return (
        head
        + (" " + rest_of_line.lstrip() if rest_of_line else "")
        + "\n"
        + block
        + (text[line_end + 1 :])
    )


def _last_scalar(node: yaml.Node) -> yaml.Node:
    """The last scalar written inside ``node``: where its last line ends."""
    while isinstance(node, yaml.CollectionNode) and node.value:
        last = node.value[-1]
        node = last[1] if isinstance(node, yaml.MappingNode) else last
    return node


def _end_of_line(text: str, index: int) -> int:
    """The index just past the line holding ``index`` (a block scalar already ends one)."""
    if index > 0 and text[index - 1] == "\n":
        return index
    newline = text.find("\n", index)
    return len(text) if newline == -1 else newline + 1
