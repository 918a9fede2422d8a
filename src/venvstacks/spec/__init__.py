"""Stack specifications: the ``venvstacks.toml`` format, loaded into a frozen model."""

from __future__ import annotations

from typing import TYPE_CHECKING

from venvstacks._lazy import lazy_exports

if TYPE_CHECKING:
    from venvstacks.spec.loader import load_stack_spec, load_stack_spec_text
    from venvstacks.spec.model import (
        ALL_PLATFORMS,
        ApplicationSpec,
        FrameworkSpec,
        LayeredSpec,
        LayerKind,
        LayerSpec,
        RuntimeRequest,
        RuntimeSpec,
        StackSpec,
        UvConfig,
        host_platform,
    )
    from venvstacks.spec.runtime_version import RuntimeVersion, RuntimeVersionError

__all__ = [
    "ALL_PLATFORMS",
    "ApplicationSpec",
    "FrameworkSpec",
    "LayerKind",
    "LayerSpec",
    "LayeredSpec",
    "RuntimeRequest",
    "RuntimeSpec",
    "RuntimeVersion",
    "RuntimeVersionError",
    "StackSpec",
    "UvConfig",
    "host_platform",
    "load_stack_spec",
    "load_stack_spec_text",
]

__getattr__, __dir__ = lazy_exports(
    globals(),
    {
        "ALL_PLATFORMS": "venvstacks.spec.model",
        "ApplicationSpec": "venvstacks.spec.model",
        "FrameworkSpec": "venvstacks.spec.model",
        "LayerKind": "venvstacks.spec.model",
        "LayerSpec": "venvstacks.spec.model",
        "LayeredSpec": "venvstacks.spec.model",
        "RuntimeRequest": "venvstacks.spec.model",
        "RuntimeSpec": "venvstacks.spec.model",
        "RuntimeVersion": "venvstacks.spec.runtime_version",
        "RuntimeVersionError": "venvstacks.spec.runtime_version",
        "StackSpec": "venvstacks.spec.model",
        "UvConfig": "venvstacks.spec.model",
        "host_platform": "venvstacks.spec.model",
        "load_stack_spec": "venvstacks.spec.loader",
        "load_stack_spec_text": "venvstacks.spec.loader",
    },
)
