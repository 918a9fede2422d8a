"""Which layer folder a module was imported from."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType


def layer_of(module: ModuleType) -> str:
    """The layer folder's name: the folder holding ``lib/pythonX.Y`` (or ``Lib``)."""
    parts = Path(module.__file__ or "").parts
    for index in range(len(parts) - 1, 0, -1):
        if parts[index].lower() == "lib":
            return parts[index - 1]
    return "?"
