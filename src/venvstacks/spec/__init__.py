"""Stack specifications: the ``venvstacks.toml`` format, loaded into a frozen model."""

from __future__ import annotations

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
