"""The frozen model of a loaded stack specification.

Everything here is plain data, validated by :mod:`venvstacks.spec.loader`. Layers are
identified by their *env name* (``cpython-3.11``, ``framework-scipy``, ``app-hello``),
which is unique across the three kinds.
"""

from __future__ import annotations

import platform
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import ClassVar, Literal, TypeAlias

from venvstacks.spec.runtime_version import RuntimeVersion

LayerKind: TypeAlias = Literal["runtime", "framework", "application"]

#: Target platforms a layer may be built for (wheel platform tag style).
ALL_PLATFORMS: tuple[str, ...] = (
    "linux_aarch64",
    "linux_x86_64",
    "macosx_arm64",
    "macosx_x86_64",
    "win_amd64",
    "win_arm64",
)

ENV_PREFIXES: Mapping[LayerKind, str] = MappingProxyType(
    {"runtime": "", "framework": "framework-", "application": "app-"}
)


def host_platform() -> str:
    """Return the target platform name of the machine running venvstacks."""
    machine = platform.machine().lower()
    machine = {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)
    if sys.platform == "win32":
        return "win_amd64" if machine == "x86_64" else "win_arm64"
    if sys.platform == "darwin":
        return "macosx_arm64" if machine == "aarch64" else "macosx_x86_64"
    return f"linux_{machine}"


def frozen_map(data: Mapping[str, str] | None = None) -> Mapping[str, str]:
    """Make a read-only copy of a string mapping."""
    return MappingProxyType(dict(data or {}))


#: What a runtime layer asks for (``cpython@3.11`` or ``cpython@3.11.7``); the name
#: plugins and older code use for :class:`RuntimeVersion`.
RuntimeRequest: TypeAlias = RuntimeVersion

_DEFAULT_RUNTIME = RuntimeVersion("cpython", "3.11")


@dataclass(frozen=True)
class LayerSpec:
    """Fields common to every layer kind."""

    kind: ClassVar[LayerKind]

    name: str
    requirements: tuple[str, ...]
    platforms: tuple[str, ...]
    versioned: bool = False
    linux_target: str | None = None
    macosx_target: str | None = None
    dynlib_exclude: tuple[str, ...] = ()
    package_indexes: Mapping[str, str] = field(default_factory=frozen_map)
    priority_indexes: tuple[str, ...] = ()
    index_overrides: Mapping[str, str] = field(default_factory=frozen_map)
    #: Where the layer was declared, e.g. ``frameworks[2]`` (for error messages).
    toml_path: str = ""

    @property
    def env_name(self) -> str:
        """The layer's environment name: its kind prefix plus its name."""
        return ENV_PREFIXES[self.kind] + self.name

    @property
    def enabled(self) -> bool:
        """False when the layer targets no platform at all (``platforms = []``)."""
        return bool(self.platforms)

    def targets(self, platform_name: str) -> bool:
        """Whether the layer is built for the given target platform."""
        return platform_name in self.platforms


@dataclass(frozen=True)
class RuntimeSpec(LayerSpec):
    """A runtime layer: a Python installation plus packages installed into it."""

    kind: ClassVar[LayerKind] = "runtime"
    python_implementation: RuntimeVersion = _DEFAULT_RUNTIME


@dataclass(frozen=True)
class LayeredSpec(LayerSpec):
    """A layer that is a virtual environment on a runtime (framework or application)."""

    #: The env name of the base runtime layer (declared or inferred).
    runtime: str = ""
    #: The env names of the declared framework dependencies, in declared order.
    frameworks: tuple[str, ...] = ()
    #: The env names of all framework layers below this one, C3-linearised.
    linearised_frameworks: tuple[str, ...] = ()


@dataclass(frozen=True)
class FrameworkSpec(LayeredSpec):
    """A framework layer: shared dependencies for applications and other frameworks."""

    kind: ClassVar[LayerKind] = "framework"


@dataclass(frozen=True)
class ApplicationSpec(LayeredSpec):
    """An application layer: packages plus a launch module run with ``python -m``."""

    kind: ClassVar[LayerKind] = "application"
    launch_module: Path = Path()
    support_modules: tuple[Path, ...] = ()

    @property
    def launch_module_name(self) -> str:
        """The import name used with ``python -m``."""
        return module_name(self.launch_module)


def module_name(path: Path) -> str:
    """Return the import name of a module file (``x.py``) or package dir (``x/``)."""
    return path.stem if path.suffix == ".py" else path.name


@dataclass(frozen=True)
class IndexDefinition:
    """One ``[[tool.uv.index]]`` entry, kept as the raw table for uv."""

    name: str
    url: str
    explicit: bool
    default: bool
    table: Mapping[str, object]


@dataclass(frozen=True)
class UvConfig:
    """The stack-wide uv settings: ``[tool.uv]`` or ``venvstacks.uv.toml``."""

    #: Settings passed to uv unchanged (everything except ``index`` and ``sources``).
    settings: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))
    indexes: tuple[IndexDefinition, ...] = ()
    #: Normalised package name -> index name, from ``[tool.uv.sources]``.
    sources: Mapping[str, str] = field(default_factory=frozen_map)
    exclude_newer: datetime | None = None
    #: The file the settings came from (the spec itself or ``venvstacks.uv.toml``).
    source_file: Path | None = None

    def index(self, name: str) -> IndexDefinition | None:
        """Return the named index, if defined."""
        for definition in self.indexes:
            if definition.name == name:
                return definition
        return None


@dataclass(frozen=True)
class StackSpec:
    """A whole validated stack."""

    path: Path
    runtimes: Mapping[str, RuntimeSpec]
    frameworks: Mapping[str, FrameworkSpec]
    applications: Mapping[str, ApplicationSpec]
    uv: UvConfig = UvConfig()
    #: Non-fatal remarks found while loading (deprecated fields and the like).
    warnings: tuple[str, ...] = ()

    @property
    def spec_dir(self) -> Path:
        """The folder holding the spec file; relative paths start here."""
        return self.path.parent

    @property
    def requirements_dir(self) -> Path:
        """Where layer locks are kept."""
        return self.spec_dir / "requirements"

    def layers(self) -> tuple[LayerSpec, ...]:
        """Every layer: runtimes, then frameworks (dependency order), then applications."""
        return (
            *self.runtimes.values(),
            *self.frameworks.values(),
            *self.applications.values(),
        )

    def layer(self, env_name: str) -> LayerSpec:
        """Look a layer up by env name (KeyError when unknown)."""
        for table in (self.runtimes, self.frameworks, self.applications):
            found = table.get(env_name)
            if found is not None:
                return found
        raise KeyError(env_name)

    def runtime_of(self, layer: LayerSpec) -> RuntimeSpec:
        """Return the runtime layer a layer runs on (itself for runtimes)."""
        if isinstance(layer, RuntimeSpec):
            return layer
        assert isinstance(layer, LayeredSpec)
        return self.runtimes[layer.runtime]

    def lower_layers(self, layer: LayerSpec) -> tuple[LayerSpec, ...]:
        """Layers below ``layer`` in import priority order; the runtime comes last."""
        if isinstance(layer, RuntimeSpec):
            return ()
        assert isinstance(layer, LayeredSpec)
        frameworks = tuple(self.frameworks[n] for n in layer.linearised_frameworks)
        return (*frameworks, self.runtimes[layer.runtime])

    def dependents(self, layer: LayerSpec) -> tuple[LayerSpec, ...]:
        """Layers that have ``layer`` among their lower layers."""
        return tuple(
            other
            for other in self.layers()
            if any(lower.env_name == layer.env_name for lower in self.lower_layers(other))
        )
