"""Helpers shared by the report app."""

from pathlib import Path
from types import ModuleType


def layer_of(module: ModuleType) -> str:
    """The name of the layer folder a module was imported from."""
    path = Path(module.__file__ or "").resolve()
    for parent in path.parents:
        if (parent / "share/venv/metadata/venvstacks_layer.json").exists():
            return parent.name
    return "?"
