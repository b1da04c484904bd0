"""Reading YAML with line numbers, so every config mistake can name its line.

PyYAML's ``compose`` keeps each node's position; these helpers walk the node tree and
raise :class:`ConfigError` naming ``file:line`` and what to write instead.
"""

from __future__ import annotations

import difflib
import re
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
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.error(key_node, f"a key in {where} must be a plain word")
            key = str(key_node.value)[:100]
            if key not in known:
                raise self.error(key_node, unknown_key_message(key, where, known))
            if key in found:
                raise self.error(key_node, f"{where} has '{key}' twice; keep one")
            found[key] = value_node
        for key in required:
            if key not in found:
                raise self.error(node, f"{where} is missing '{key}'; add '{key}: …'")
        return found

    def text(self, node: yaml.Node, where: str, limit: int = 2000) -> str:
        if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
            raise self.error(node, f"{where} must be a non-empty text value")
        value = str(node.value).strip()
        if _CONTROL.search(value):
            raise self.error(node, f"{where} has a control character (such as \\0); remove it")
        if len(value) > limit:
            raise self.error(node, f"{where} is longer than {limit} characters")
        return value

    def integer(self, node: yaml.Node, where: str, minimum: int = 0, maximum: int = 10**9) -> int:
        value = self.scalar(node, where)
        if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
            raise self.error(node, f"{where} must be a whole number from {minimum} to {maximum}")
        return value

    def number(
        self, node: yaml.Node, where: str, maximum: float = 86_400.0, minimum: float = 0.0
    ) -> float:
        """A number above 0 (or from ``minimum`` on, when one is given) up to ``maximum``."""
        value = self.scalar(node, where)
        # nan and inf pass "> 0" in one direction or the other: refused by name.
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not 0 < value <= maximum
            or value < minimum
        ):
            low = f"from {minimum:g}" if minimum else "a positive number"
            example = max(minimum, 10)
            raise self.error(
                node, f"{where} must be {low} up to {maximum:g}, for example {example:g}"
            )
        return float(value)

    def boolean(self, node: yaml.Node, where: str) -> bool:
        value = self.scalar(node, where)
        if not isinstance(value, bool):
            raise self.error(node, f"{where} must be true or false")
        return value

    def scalar(self, node: yaml.Node, where: str) -> object:
        if not isinstance(node, yaml.ScalarNode):
            raise self.error(node, f"{where} must be a single value")
        try:
            # LOADER is a SafeLoader (C or pure Python), which builds plain values only.
            return yaml.load(yaml.serialize(node), Loader=LOADER)  # nosec B506
        # e.g. !!int abc; PyYAML's timestamp constructor raises AttributeError on !!timestamp x
        except (yaml.YAMLError, ValueError, TypeError, OverflowError, AttributeError):
            raise self.error(node, f"{where} has a value that cannot be read") from None

    def sequence(self, node: yaml.Node, where: str) -> list[yaml.Node]:
        if not isinstance(node, yaml.SequenceNode):
            raise self.error(node, f"{where} must be a list (lines starting with '- ')")
        return list(node.value)


# A site's feeds.yaml is a few KB; a bigger one is a mistake (or an attack), refused before
# it is parsed (a 50 MB file once took 38 s).
MAX_CONFIG_BYTES = 1024 * 1024
MAX_DEPTH = 20  # ours needs 4
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# libyaml when present (dozens of times faster), else PyYAML's pure-Python loader.
LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# The tags a plain YAML value resolves to; any other (!!python/name:…, !custom) is refused.
PLAIN_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}"
    for name in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")
)


def load_doc(path: Path, needs: str = "site:, newsletter: and feeds:") -> Doc:
    """The file's node tree, checked (see :func:`_check_tree`); ``needs`` says what an
    empty file (or one of comments only) should hold."""
    text = _read(path)
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise ConfigError(f"{path}:{line}: a NUL character; a config file is plain text")
    try:
        root = yaml.compose(text, Loader=LOADER)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        raise ConfigError(f"{path}:{line}: not valid YAML ({exc.problem})") from None
    except yaml.YAMLError as exc:  # the reader's errors carry no mark
        raise ConfigError(f"{path}:1: not valid YAML ({str(exc).splitlines()[0]})") from None
    except RecursionError:  # the pure-Python loader on deep nesting
        raise ConfigError(f"{path}:1: nested too deeply to be a {path.name}") from None
    if root is None:
        raise ConfigError(f"{path}:1: the file is empty; it needs {needs}")
    doc = Doc(path, root)
    _check_tree(doc)
    return doc


def _read(path: Path) -> str:
    try:
        with path.open("rb") as file:
            data = file.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: no such file; create it or point --config / NEWSLETTER_CONFIG at one"
        ) from None
    except OSError as exc:  # a folder, a symlink loop, no permission
        raise ConfigError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(
            f"{path}: larger than {MAX_CONFIG_BYTES // 1024} KiB; is it the right file?"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(f"{path}:{line}: not UTF-8 text ({exc.reason})") from None


def _check_tree(doc: Doc) -> None:
    """Refuse aliases, tags and deep nesting before anything reads the tree.

    An alias makes a shared node: a 1.2 KB file of nested aliases once grew to 5.3 GB as
    an error message rendered it. Seeing any node twice is an alias, so this walk visits
    each node of the file once, and nothing after it can explode."""
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, int]] = [(doc.root, 1)]
    while stack:
        node, depth = stack.pop()
        if id(node) in seen:
            raise doc.error(node, "aliases (*name) are not allowed here; write the value out")
        seen.add(id(node))
        if node.tag not in PLAIN_TAGS:
            raise doc.error(node, f"the tag {node.tag[:60]!r} is not allowed; write a plain value")
        if depth > MAX_DEPTH:
            raise doc.error(node, f"nested more than {MAX_DEPTH} levels deep")
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack += [(key, depth + 1), (value, depth + 1)]
        elif isinstance(node, yaml.SequenceNode):
            stack += [(item, depth + 1) for item in node.value]


def unknown_key_message(key: str, where: str, known: tuple[str, ...]) -> str:
    guess = difflib.get_close_matches(key, known, n=1)
    hint = f" (did you mean '{guess[0]}'?)" if guess else ""
    return f"unknown key '{key}' in {where}{hint}; write one of: {', '.join(known)}"
