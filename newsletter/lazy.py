"""A package whose names load their modules on first use (``newsletter.mail``,
``newsletter.digest``): a command that needs one small part of a package, as `status` and
`run` with nothing due do, does not pay for importing the rest."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def first_use(package: str, homes: Mapping[str, str]) -> Callable[[str], Any]:
    """The package's module ``__getattr__``: each name in ``homes`` is imported from its
    module (its value there) the first time it is asked for; any other is an AttributeError."""

    def attribute(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(home), name)

    return attribute
