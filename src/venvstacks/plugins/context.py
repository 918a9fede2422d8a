"""The read-only view of a layer that hooks receive."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from venvstacks.spec.model import LayerKind, LayerSpec, StackSpec


@dataclass(frozen=True)
class LayerContext:
    """What a plugin may know about a layer. Attributes are only ever added.

    :ivar name: the env name (``cpython-3.11``, ``framework-yaml``, ``app-hello``).
    :ivar kind: ``"runtime"``, ``"framework"`` or ``"application"``.
    :ivar spec: the layer's validated spec (a frozen dataclass).
    :ivar lower_layers: contexts of the layers below, in import priority order; the
        runtime layer comes last (empty for runtime layers).
    :ivar stack: the whole validated stack spec.
    :ivar env_path: the layer's environment folder in the build directory.
    :ivar python_version: the runtime's ``X.Y.Z`` version once locked, else None.
    :ivar deployed_name: the folder name the layer is deployed as (with ``@N`` when
        the layer is versioned), once locked; else the env name.
    :ivar target_platform: the platform being built for (``linux_x86_64``, ...).
    """

    name: str
    kind: LayerKind
    spec: LayerSpec
    lower_layers: tuple[LayerContext, ...]
    stack: StackSpec
    env_path: Path
    python_version: str | None
    deployed_name: str
    target_platform: str

    @property
    def runtime(self) -> LayerContext:
        """The runtime layer context (the layer itself for runtimes)."""
        return self.lower_layers[-1] if self.lower_layers else self

    def __repr__(self) -> str:
        return f"<LayerContext {self.name} ({self.kind})>"
