"""The read-only view of a layer that hooks receive."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from venvstacks.spec.model import ApplicationSpec, LayerKind

if TYPE_CHECKING:
    from venvstacks.spec.model import LayerSpec, StackSpec


@dataclass(frozen=True)
class LayerContext:
    """What a plugin may know about a layer: a stable API, attributes are only added.

    :ivar name: the env name (``cpython-3.11``, ``framework-yaml``, ``app-hello``).
    :ivar kind: ``"runtime"``, ``"framework"`` or ``"application"``.
    :ivar lower_layers: contexts of the layers below, in import priority order; the
        runtime layer comes last (empty for runtime layers).
    :ivar env_path: the layer's environment folder in the build directory.
    :ivar python_version: the runtime's ``X.Y.Z`` version once locked, else None.
    :ivar deployed_name: the folder name the layer is deployed as (with ``@N`` when
        the layer is versioned), once locked; else the env name.
    :ivar target_platform: the platform being built for (``linux_x86_64``, ...).
    :ivar layer_name: the name declared in the spec (``yaml`` for ``framework-yaml``).
    :ivar requirements: the requirement strings declared in the spec (before
        ``venvstacks_pre_lock`` plugins adjust them).
    :ivar platforms: the platforms the layer is built for.
    :ivar versioned: whether the deployed name carries the lock version.
    :ivar launch_module: application layers: the module run with ``python -m``.

    ``spec`` and ``stack`` give the validated spec objects venvstacks uses
    internally; they are kept for existing plugins, but their classes may change
    between releases: prefer the attributes above.
    """

    name: str
    kind: LayerKind
    lower_layers: tuple[LayerContext, ...]
    env_path: Path
    python_version: str | None
    deployed_name: str
    target_platform: str
    layer_name: str = ""
    requirements: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    versioned: bool = False
    launch_module: str | None = None
    _spec: LayerSpec | None = field(default=None, repr=False, compare=False)
    _stack: StackSpec | None = field(default=None, repr=False, compare=False)

    @classmethod
    def for_layer(
        cls,
        layer: LayerSpec,
        stack: StackSpec,
        *,
        lower_layers: tuple[LayerContext, ...],
        env_path: Path,
        python_version: str | None,
        deployed_name: str,
        target_platform: str,
    ) -> LayerContext:
        """The context of a layer of a loaded stack spec."""
        launch = layer.launch_module_name if isinstance(layer, ApplicationSpec) else None
        return cls(
            name=layer.env_name,
            kind=layer.kind,
            lower_layers=lower_layers,
            env_path=env_path,
            python_version=python_version,
            deployed_name=deployed_name,
            target_platform=target_platform,
            layer_name=layer.name,
            requirements=tuple(layer.requirements),
            platforms=tuple(layer.platforms),
            versioned=layer.versioned,
            launch_module=launch,
            _spec=layer,
            _stack=stack,
        )

    @property
    def spec(self) -> LayerSpec:
        """The layer's validated spec (internal class; prefer the typed attributes)."""
        if self._spec is None:
            raise AttributeError(f"{self!r} was made without a spec")
        return self._spec

    @property
    def stack(self) -> StackSpec:
        """The whole validated stack spec (internal class)."""
        if self._stack is None:
            raise AttributeError(f"{self!r} was made without a stack spec")
        return self._stack

    @property
    def runtime(self) -> LayerContext:
        """The runtime layer context (the layer itself for runtimes)."""
        return self.lower_layers[-1] if self.lower_layers else self

    @property
    def lower_names(self) -> tuple[str, ...]:
        """Env names of the layers below, in import priority order."""
        return tuple(lower.name for lower in self.lower_layers)

    def __repr__(self) -> str:
        return f"<LayerContext {self.name} ({self.kind})>"
