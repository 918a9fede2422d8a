"""The run session: what one command knows about a stack, worked out once.

A :class:`Session` is made per command (``lock``, ``build``, ``publish`` ...) from the
loaded spec and the engine options. It is what orchestration code receives, and it
caches what many steps ask for: lock metadata (re-read only after this session wrote
a lock), deployed names, each layer's runtime version and :class:`LayerContext`, the
requirements after ``venvstacks_pre_lock`` (so that hook runs once per layer) and
parsed lower-layer locks. Sessions are safe to use from the worker threads of one
command.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Concatenate, ParamSpec, Protocol, TypeVar

from venvstacks.engine.build_folder import BuildFolder, LayerState
from venvstacks.engine.options import EngineOptions
from venvstacks.errors import LockError
from venvstacks.layers.modules import modules_hash
from venvstacks.lock.files import LockedPackage, LockFiles, LockMetadata
from venvstacks.lock.inputs import LockInputs, make_inputs
from venvstacks.lock.status import LockStatus, check_lock
from venvstacks.plugins.context import LayerContext
from venvstacks.plugins.hooks import Hooks
from venvstacks.plugins.manager import PluginManager
from venvstacks.reporting import Reporter
from venvstacks.spec.model import ApplicationSpec, LayerSpec, StackSpec
from venvstacks.spec.runtime_version import RuntimeVersion
from venvstacks.uvtool import UvSettings

P = ParamSpec("P")
R = TypeVar("R")
_MISSING = object()


class _HasSession(Protocol):
    _active: Session | None

    def session(self) -> Session: ...


S = TypeVar("S", bound=_HasSession)


def one_session(method: Callable[Concatenate[S, P], R]) -> Callable[Concatenate[S, P], R]:
    """Run a ``Stack`` command with one session for all of it (nested calls share it)."""

    @functools.wraps(method)
    def run(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
        if self._active is not None:
            return method(self, *args, **kwargs)
        self._active = self.session()
        try:
            return method(self, *args, **kwargs)
        finally:
            self._active = None

    return run


@dataclass
class Session:
    """One command's view of a stack (see the module docstring)."""

    spec: StackSpec
    options: EngineOptions
    plugins: PluginManager
    reporter: Reporter
    folder: BuildFolder
    uv: UvSettings
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    _metadata: dict[str, LockMetadata | None] = field(default_factory=dict, repr=False)
    _contexts: dict[tuple[str, str | None, str], LayerContext] = field(
        default_factory=dict, repr=False
    )
    _requirements: dict[tuple[str, str | None], tuple[str, ...]] = field(
        default_factory=dict, repr=False
    )
    _packages: dict[str, list[LockedPackage]] = field(default_factory=dict, repr=False)

    @property
    def hooks(self) -> Hooks:
        """The typed hook facade (the only way hooks are fired)."""
        return self.plugins.hooks

    # -- locks -------------------------------------------------------------------------

    def lock_files(self, layer: LayerSpec) -> LockFiles:
        """The lock files of a layer."""
        return LockFiles.for_layer(self.spec.requirements_dir, layer.env_name)

    def lock_metadata(self, layer: LayerSpec) -> LockMetadata | None:
        """A layer's lock metadata (read once per session), if it has been locked."""
        with self._lock:
            found = self._metadata.get(layer.env_name, _MISSING)
        if found is _MISSING:
            found = self.lock_files(layer).read_meta()
            with self._lock:
                self._metadata[layer.env_name] = found
        assert found is None or isinstance(found, LockMetadata)
        return found

    def lock_written(self, layer: LayerSpec, packages: Sequence[LockedPackage]) -> None:
        """Forget what was cached about a layer's lock: this session rewrote it."""
        with self._lock:
            self._metadata.pop(layer.env_name, None)
            self._packages[layer.env_name] = list(packages)
            self._contexts.clear()  # deployed names and runtime versions may change

    def locked_packages(self, layer: LayerSpec) -> list[LockedPackage]:
        """The packages a layer's lock installs (parsed once per session).

        :raises LockError: when the layer has no lock file.
        """
        with self._lock:
            found = self._packages.get(layer.env_name)
        if found is None:
            found = self.lock_files(layer).read_packages()
            with self._lock:
                self._packages[layer.env_name] = found
        return found

    def python_implementation(self, layer: LayerSpec) -> str | None:
        """``cpython@X.Y.Z`` a layer runs on (None while its runtime is unlocked).

        The runtime spec's exact request when it names a patch release (a new patch
        needs no relock: locks are made for ``X.Y``), else the version its lock
        resolved ``cpython@X.Y`` to.
        """
        runtime = self.spec.runtime_of(layer)
        if runtime.python_implementation.exact:
            return str(runtime.python_implementation)
        metadata = self.lock_metadata(runtime)
        return metadata.python_implementation if metadata else None

    def python_version(self, layer: LayerSpec) -> str | None:
        """``X.Y.Z`` of the Python a layer runs on (None while its runtime is unlocked)."""
        implementation = self.python_implementation(layer)
        if implementation is None:
            return None
        return RuntimeVersion.parse(implementation, strict=False).version

    def version_inputs(self, layer: LayerSpec) -> tuple[str, ...]:
        """Lock inputs that only version a layer: a versioned app's modules."""
        if isinstance(layer, ApplicationSpec) and layer.versioned:
            modules = [layer.launch_module, *layer.support_modules]
            return (modules_hash(modules, self.spec.spec_dir),)
        return ()

    def deployed_name(self, layer: LayerSpec, metadata: LockMetadata | None = None) -> str:
        """The folder name a layer is deployed as (``name@N`` for versioned layers)."""
        if not layer.versioned:
            return layer.env_name
        metadata = metadata or self.lock_metadata(layer)
        version = metadata.lock_version if metadata else 1
        return f"{layer.env_name}@{version}"

    def deployed_names(self) -> dict[str, str]:
        """Env name -> deployed name, for every layer of the stack."""
        return {layer.env_name: self.deployed_name(layer) for layer in self.spec.layers()}

    # -- what plugins see ---------------------------------------------------------------

    def context(self, layer: LayerSpec, python_version: str | None = None) -> LayerContext:
        """The read-only view of a layer that plugins receive (built once)."""
        if python_version is None:
            python_version = self.python_version(layer)
        deployed = self.deployed_name(layer)
        key = (layer.env_name, python_version, deployed)
        with self._lock:
            found = self._contexts.get(key)
        if found is not None:
            return found
        lower = tuple(self.context(x) for x in self.spec.lower_layers(layer))
        made = LayerContext.for_layer(
            layer,
            self.spec,
            lower_layers=lower,
            env_path=self.folder.env(layer.env_name),
            python_version=python_version,
            deployed_name=deployed,
            target_platform=self.options.target_platform,
        )
        with self._lock:
            return self._contexts.setdefault(key, made)

    def requirements(
        self, layer: LayerSpec, python_version: str | None = None
    ) -> list[str]:
        """A layer's requirements after ``venvstacks_pre_lock`` plugins adjusted them.

        The hook runs once per layer (and runtime version) per session.
        """
        context = self.context(layer, python_version)
        key = (layer.env_name, context.python_version)
        with self._lock:  # held while plugins run: each layer's hook runs exactly once
            found = self._requirements.get(key)
            if found is None:
                requirements = list(layer.requirements)
                self.hooks.pre_lock(context, requirements)
                found = tuple(str(item) for item in requirements)
                self._requirements[key] = found
        return list(found)

    # -- lock and build state -----------------------------------------------------------

    def lock_inputs(
        self, layer: LayerSpec, python_version: str | None = None
    ) -> LockInputs:
        """A layer's current lock inputs (lower layers' pins read from their locks).

        :raises LockError: when a lower layer has no lock file.
        """
        packages_of = {
            lower.env_name: self.locked_packages(lower)
            for lower in self.spec.lower_layers(layer)
        }
        return make_inputs(
            self.spec,
            layer,
            self.requirements(layer, python_version),
            packages_of,
            self.version_inputs(layer),
        )

    def lock_statuses(self, layers: Sequence[LayerSpec]) -> list[LockStatus]:
        """Whether each of ``layers`` (the enabled ones) has a present, current lock.

        A layer whose own lock is fine is still stale when a layer below it needs
        relocking for a reason that reaches the layers above (anything but a change
        of that layer's targets or versioned modules).
        """
        wanted = {layer.env_name for layer in layers}
        found: dict[str, LockStatus] = {}
        for layer in self.spec.layers():
            if not layer.enabled:
                continue
            status = self._own_lock_status(layer)
            if status.valid:
                for lower in self.spec.lower_layers(layer):
                    below = found.get(lower.env_name)
                    if below is not None and not below.valid and below.propagates:
                        reason = f"lower layer {lower.env_name} needs relocking"
                        status = LockStatus(
                            layer.env_name, "stale", reason, status.metadata
                        )
                        break
            found[layer.env_name] = status
        return [status for name, status in found.items() if name in wanted]

    def _own_lock_status(self, layer: LayerSpec) -> LockStatus:
        """Whether a layer's own lock files match its current inputs."""
        try:
            inputs = self.lock_inputs(layer)
        except LockError as exc:  # a lower layer has no usable lock
            return LockStatus(layer.env_name, "missing", exc.message, None)
        return check_lock(inputs, self.lock_files(layer))

    def state(self, layer: LayerSpec, inputs_hash: str | None = None) -> LayerState:
        """Whether a layer is locked, built, and built from its current lock."""
        return self.folder.state(layer.env_name, self.lock_metadata(layer), inputs_hash)
