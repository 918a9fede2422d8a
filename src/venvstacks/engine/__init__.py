"""Orchestration: selecting layers, ordering work, firing hooks, collecting results."""

from __future__ import annotations

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
