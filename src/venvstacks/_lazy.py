"""Lazy package exports: a package's public names are imported on first use.

``import venvstacks`` (and every subpackage) stays cheap; a command imports only the
modules it touches. A package lists ``name -> defining module`` and installs the
returned ``__getattr__``/``__dir__``; type checkers see ordinary imports under
``TYPE_CHECKING``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    namespace: dict[str, Any], exports: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Return ``(__getattr__, __dir__)`` for a package exporting ``exports`` lazily.

    :param namespace: the package's ``globals()``.
    :param exports: each public name and the module (absolute name) defining it.
    """
    package = namespace["__name__"]

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *exports})

    return __getattr__, __dir__
