"""venvstacks: lock, build and publish layered Python environments.

The public API: load a stack, then lock, build and publish it through :class:`Stack`.
The engine never prints; pass a :class:`Reporter` to follow progress.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from venvstacks._lazy import lazy_exports

if TYPE_CHECKING:
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

    __version__: str

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

_getattr, __dir__ = lazy_exports(
    globals(),
    {
        "ArchiveError": "venvstacks.errors",
        "BuildError": "venvstacks.errors",
        "BuildReport": "venvstacks.engine",
        "DeployError": "venvstacks.errors",
        "EngineOptions": "venvstacks.engine",
        "Event": "venvstacks.reporting",
        "HookError": "venvstacks.errors",
        "LayerBuildResult": "venvstacks.engine",
        "LayerContext": "venvstacks.plugins",
        "LayerLockResult": "venvstacks.engine",
        "LockError": "venvstacks.errors",
        "LockReport": "venvstacks.engine",
        "Note": "venvstacks.reporting",
        "NullReporter": "venvstacks.reporting",
        "Output": "venvstacks.reporting",
        "PlanReady": "venvstacks.reporting",
        "PluginManager": "venvstacks.plugins",
        "RecordingReporter": "venvstacks.reporting",
        "Reporter": "venvstacks.reporting",
        "RuntimeNotFoundError": "venvstacks.errors",
        "RuntimeSource": "venvstacks.engine",
        "SpecError": "venvstacks.errors",
        "Stack": "venvstacks.engine",
        "StackSpec": "venvstacks.spec",
        "StepFinished": "venvstacks.reporting",
        "StepStarted": "venvstacks.reporting",
        "UsageError": "venvstacks.errors",
        "VenvStacksError": "venvstacks.errors",
        "hookimpl": "venvstacks.plugins",
        "load_stack_spec": "venvstacks.spec",
    },
)


def __getattr__(name: str) -> object:
    if name == "__version__":
        from venvstacks.version import tool_version

        globals()[name] = version = tool_version()
        return version
    return _getattr(name)
