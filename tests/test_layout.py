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
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
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


def test_the_rules_can_fail() -> None:
    """The scanner sees imports at all (a broken parser would pass everything)."""
    seen = {(unit, name) for unit, _path, name in _imports()}
    assert ("store", "sqlalchemy") in seen
    assert ("cli", "newsletter.store") in seen


def _module_imports() -> dict[str, set[str]]:
    """Each module of newsletter and the modules of newsletter it imports, lazily or only
    for type checking included: a circle is one whichever way it is drawn."""
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        modules[name] = path
    found: dict[str, set[str]] = {}
    for name, path in modules.items():
        wanted: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                wanted |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
            elif isinstance(node, ast.Import):
                wanted |= {alias.name for alias in node.names}
        found[name] = (wanted & modules.keys()) - {name}
    return found


def test_no_two_modules_import_each_other() -> None:
    imports = _module_imports()
    circles = sorted(
        (a, b) for a, wanted in imports.items() for b in wanted if a < b and a in imports[b]
    )
    assert circles == [], "move what both need to a third module (see DEVELOPERS.md)"
