"""Orchestration: selecting layers, ordering work, firing hooks, collecting results."""

from __future__ import annotations

from typing import TYPE_CHECKING

from venvstacks._lazy import lazy_exports

if TYPE_CHECKING:
    from venvstacks.engine.options import EngineOptions, RuntimeSource
    from venvstacks.engine.results import (
        BuildReport,
        LayerBuildResult,
        LayerLockResult,
        LockReport,
    )
    from venvstacks.engine.stack import Stack

__all__ = [
    "BuildReport",
    "EngineOptions",
    "LayerBuildResult",
    "LayerLockResult",
    "LockReport",
    "RuntimeSource",
    "Stack",
]

__getattr__, __dir__ = lazy_exports(
    globals(),
    {
        "BuildReport": "venvstacks.engine.results",
        "EngineOptions": "venvstacks.engine.options",
        "LayerBuildResult": "venvstacks.engine.results",
        "LayerLockResult": "venvstacks.engine.results",
        "LockReport": "venvstacks.engine.results",
        "RuntimeSource": "venvstacks.engine.options",
        "Stack": "venvstacks.engine.stack",
    },
)
