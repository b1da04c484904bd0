"""DEVELOPERS.md's layout is the law: every module is in its table, and no module imports
across a line the table does not draw.

The layout table's last column lists, in backticks, the parts of ``newsletter`` a folder may
import (or says "anything"); the libraries table names the only folders that may import a
library. A new folder, a new import or a new library user fails here until the table says so.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "newsletter"
DEVELOPERS = ROOT / "DEVELOPERS.md"
ANYTHING = None


def _rows(heading: str) -> Iterator[list[str]]:
    """The body rows of the first table after a line starting with ``heading``."""
    lines = DEVELOPERS.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(heading))
    table = [line for line in lines[start:] if line.startswith("|")]
    first = lines.index(table[0], start)
    for line in lines[first + 2 :]:
        if not line.startswith("|"):
            return
        yield [cell.strip() for cell in line.strip("|").split("|")]


def _ticked(cell: str) -> set[str]:
    return set(re.findall(r"`([^`]+)`", cell))


def _unit(cell: str) -> str:
    """`newsletter/store/` -> store, `newsletter/run.py` -> run."""
    (path,) = _ticked(cell)
    return path.removeprefix("newsletter/").strip("/").removesuffix(".py")


def _layout() -> dict[str, set[str] | None]:
    allowed: dict[str, set[str] | None] = {}
    for cells in _rows("| folder"):
        if not cells[0].startswith("`newsletter/"):
            continue
        allowed[_unit(cells[0])] = ANYTHING if "anything" in cells[-1] else _ticked(cells[-1])
    return allowed


def _libraries() -> dict[str, set[str]]:
    return {_ticked(c[0]).pop(): {_unit(x) for x in c[1].split(",")} for c in _rows("| library")}


def _units() -> set[str]:
    found = set()
    for path in PACKAGE.iterdir():
        if path.name.startswith("_") and path.name != "__main__.py":
            continue
        if path.is_dir() and (path / "__init__.py").exists():
            found.add(path.name)
        elif path.suffix == ".py":
            found.add(path.stem)
    return found


def _imports() -> Iterator[tuple[str, Path, str]]:
    """(unit, file, imported top-level name or newsletter.<part>) for every import."""
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).parts
        unit = parts[0] if len(parts) > 1 else parts[0].removesuffix(".py")
        for node in _nodes(path):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            else:
                continue
            for name in names:
                pieces = name.split(".")
                if pieces[0] == "newsletter" and len(pieces) > 1:
                    yield unit, path, "newsletter." + pieces[1]
                else:
                    yield unit, path, pieces[0]


@cache
def _nodes(path: Path) -> tuple[ast.AST, ...]:
    """Every node of a module, parsed once for all the tests here."""
    return tuple(ast.walk(ast.parse(path.read_text(encoding="utf-8"))))


def test_the_layout_table_matches_the_tree() -> None:
    assert set(_layout()) == _units()


def test_no_module_crosses_a_line() -> None:
    layout = _layout()
    crossings = []
    for unit, path, name in _imports():
        if not name.startswith("newsletter."):
            continue
        target, allowed = name.removeprefix("newsletter."), layout.get(unit, set())
        if target != unit and allowed is not ANYTHING and target not in allowed:
            crossings.append(f"{path.relative_to(ROOT)} imports newsletter.{target}")
    assert crossings == []


def test_each_library_stays_in_its_folders() -> None:
    owners = _libraries()
    strays = [
        f"{path.relative_to(ROOT)} imports {name}"
        for unit, path, name in _imports()
        if name in owners and unit not in owners[name]
    ]
    assert strays == []


def test_the_layers_draw_no_circle() -> None:
    """What a folder may import, read as arrows, never leads back to it: every import goes
    down the layers (the crossing test holds the imports to the table)."""
    allowed = {unit: parts for unit, parts in _layout().items() if parts is not ANYTHING}
    assert [" -> ".join(circle) for circle in _circles(allowed)] == []


def test_the_rules_can_fail() -> None:
    """The scanner sees imports at all (a broken parser would pass everything)."""
    seen = {(unit, name) for unit, _path, name in _imports()}
    assert ("store", "sqlalchemy") in seen
    assert ("cli", "newsletter.store") in seen


def _module_imports() -> dict[str, set[str]]:
    """Each module of newsletter and the modules of newsletter importing it runs, lazily or
    only for type checking included: a circle is one whichever way it is drawn. Importing
    ``a.b.c`` runs the packages ``a`` and ``a.b`` first, so their ``__init__`` counts too,
    but not for a module inside them (its own packages are running already), unless it
    names one of them."""
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        modules[name] = path
    found: dict[str, set[str]] = {}
    for name, path in modules.items():
        wanted: set[str] = set()
        for node in _nodes(path):
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                wanted |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
            elif isinstance(node, ast.Import):
                wanted |= {alias.name for alias in node.names}
        named = wanted & modules.keys()
        packages = {p for target in named for p in _packages(target)} - _packages(name)
        found[name] = (named | (packages & modules.keys())) - {name}
    return found


def _packages(module: str) -> set[str]:
    """newsletter.a.b -> {newsletter, newsletter.a}: what importing it runs first."""
    parts = module.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts))}


def _circles(imports: dict[str, set[str]]) -> list[list[str]]:
    """Every circle of imports, one per group of modules that reach each other (Tarjan's
    strongly connected components), each drawn as one path round from its first module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[set[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for other in sorted(imports.get(module, ())):
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            group: set[str] = set()
            while not group or module not in group:
                group.add(stack.pop())
            if len(group) > 1:
                groups.append(group)

    for module in sorted(imports):
        if module not in index:
            visit(module)
    return [_round(imports, group) for group in groups]


def _round(imports: dict[str, set[str]], group: set[str]) -> list[str]:
    """The shortest path from the group's first module back to it, within the group."""
    start = min(group)
    came_from: dict[str, str] = {}
    queue = [start]
    while queue:
        module = queue.pop(0)
        for other in sorted(imports[module] & group):
            if other == start:
                path = [module]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return [*reversed(path), start]
            if other not in came_from:
                came_from[other] = module
                queue.append(other)
    raise AssertionError(f"no way round {sorted(group)}")


def test_no_import_circle_between_files() -> None:
    circles = [" -> ".join(circle) for circle in _circles(_module_imports())]
    assert circles == [], "move what both need to a third module (see DEVELOPERS.md)"


def test_the_circle_finder_can_fail() -> None:
    """Circles of two and of three files, and one through a package's __init__, are found;
    a module importing its own package's submodules is not one."""
    assert _circles({"a": {"b"}, "b": {"a"}}) == [["a", "b", "a"]]
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    imports = _module_imports()
    assert "newsletter.store" in imports["newsletter.publish.archive"]  # via store.digests
    assert "newsletter.config" not in imports["newsletter.config.load"]  # its own package
