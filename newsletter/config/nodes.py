"""Reading YAML with line numbers, so every config mistake can name its line.

PyYAML's ``compose`` keeps each node's position; these helpers walk the node tree and
raise :class:`ConfigError` naming ``file:line`` and what to write instead.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path

import yaml

from newsletter.errors import ConfigError


class Doc:
    """A parsed YAML file: the path for messages, the root node for reading."""

    def __init__(self, path: Path, root: yaml.Node) -> None:
        self.path = path
        self.root = root

    def error(self, node: yaml.Node, message: str) -> ConfigError:
        return ConfigError(f"{self.path}:{node.start_mark.line + 1}: {message}")

    def mapping(
        self,
        node: yaml.Node,
        where: str,
        known: Iterable[str],
        required: Iterable[str] = (),
    ) -> dict[str, yaml.Node]:
        """The keys of a mapping node; unknown keys and missing required ones are refused."""
        if not isinstance(node, yaml.MappingNode):
            raise self.error(node, f"{where} must be a mapping of keys to values")
        known = tuple(known)
        found: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key not in known:
                raise self.error(key_node, unknown_key_message(key, where, known))
            if key in found:
                raise self.error(key_node, f"{where} has '{key}' twice; keep one")
            found[key] = value_node
        for key in required:
            if key not in found:
                raise self.error(node, f"{where} is missing '{key}'; add '{key}: …'")
        return found

    def text(self, node: yaml.Node, where: str) -> str:
        if not isinstance(node, yaml.ScalarNode) or node.value == "":
            raise self.error(node, f"{where} must be a non-empty text value")
        return str(node.value).strip()

    def integer(self, node: yaml.Node, where: str, minimum: int = 0) -> int:
        value = self.scalar(node, where)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.error(node, f"{where} must be a whole number of at least {minimum}")
        return value

    def number(self, node: yaml.Node, where: str) -> float:
        value = self.scalar(node, where)
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise self.error(node, f"{where} must be a positive number, for example 10")
        return float(value)

    def boolean(self, node: yaml.Node, where: str) -> bool:
        value = self.scalar(node, where)
        if not isinstance(value, bool):
            raise self.error(node, f"{where} must be true or false")
        return value

    def scalar(self, node: yaml.Node, where: str) -> object:
        if not isinstance(node, yaml.ScalarNode):
            raise self.error(node, f"{where} must be a single value")
        return yaml.safe_load(yaml.serialize(node))

    def sequence(self, node: yaml.Node, where: str) -> list[yaml.Node]:
        if not isinstance(node, yaml.SequenceNode):
            raise self.error(node, f"{where} must be a list (lines starting with '- ')")
        return list(node.value)


def load_doc(path: Path) -> Doc:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: no such file; create it or point --config / NEWSLETTER_CONFIG at one"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read ({exc})") from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        raise ConfigError(f"{path}:{line}: not valid YAML ({exc.problem})") from None
    if root is None:
        raise ConfigError(f"{path}:1: the file is empty; it needs site:, newsletter: and feeds:")
    return Doc(path, root)


def unknown_key_message(key: str, where: str, known: tuple[str, ...]) -> str:
    guess = difflib.get_close_matches(key, known, n=1)
    hint = f" (did you mean '{guess[0]}'?)" if guess else ""
    return f"unknown key '{key}' in {where}{hint}; write one of: {', '.join(known)}"
