"""venvstacks: lock, build and publish layered Python environments.

The public API: load a stack, then lock, build and publish it through :class:`Stack`.
The engine never prints; pass a :class:`Reporter` to follow progress.
"""

from __future__ import annotations

from venvstacks.engine import (
    BuildReport,
    EngineOptions,
    LayerBuildResult,
    LayerLockResult,
    LockReport,
    RuntimeSource,
    Stack,
)
from venvstacks.errors import (
    ArchiveError,
    BuildError,
    DeployError,
    HookError,
    LockError,
    RuntimeNotFoundError,
    SpecError,
    UsageError,
    VenvStacksError,
)
from venvstacks.plugins import LayerContext, PluginManager, hookimpl
from venvstacks.reporting import (
    Event,
    Note,
    NullReporter,
    Output,
    PlanReady,
    RecordingReporter,
    Reporter,
    StepFinished,
    StepStarted,
)
from venvstacks.spec import StackSpec, load_stack_spec
from venvstacks.version import tool_version

__version__ = tool_version()

__all__ = [
    "ArchiveError",
    "BuildError",
    "BuildReport",
    "DeployError",
    "EngineOptions",
    "Event",
    "HookError",
    "LayerBuildResult",
    "LayerContext",
    "LayerLockResult",
    "LockError",
    "LockReport",
    "Note",
    "NullReporter",
    "Output",
    "PlanReady",
    "PluginManager",
    "RecordingReporter",
    "Reporter",
    "RuntimeNotFoundError",
    "RuntimeSource",
    "SpecError",
    "Stack",
    "StackSpec",
    "StepFinished",
    "StepStarted",
    "UsageError",
    "VenvStacksError",
    "__version__",
    "hookimpl",
    "load_stack_spec",
]
