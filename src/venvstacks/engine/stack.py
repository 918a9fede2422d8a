"""The engine's entry point: a loaded stack plus how to run commands on it."""

from __future__ import annotations

import fnmatch
import os
import shutil
import threading
from collections.abc import Sequence
from pathlib import Path

from venvstacks.engine.build_folder import BuildFolder, LayerState, default_build_dir
from venvstacks.engine.guards import check_folder_apart, check_local_wheels
from venvstacks.engine.options import EngineOptions
from venvstacks.engine.results import BuildReport, LockReport, PublishReport
from venvstacks.engine.runlock import exclusive
from venvstacks.engine.selection import OperationPlan, SelectionRequest, plan_operations
from venvstacks.errors import LockError, UsageError
from venvstacks.lock.files import LockedPackage, LockFiles, LockMetadata
from venvstacks.lock.inputs import LockInputs, make_inputs
from venvstacks.lock.status import LockStatus, check_lock
from venvstacks.plugins.context import LayerContext
from venvstacks.plugins.manager import PluginManager
from venvstacks.reporting import NullReporter, Reporter
from venvstacks.spec.loader import load_stack_spec
from venvstacks.spec.model import ApplicationSpec, LayerSpec, StackSpec
from venvstacks.spec.runtime_version import RuntimeVersion
from venvstacks.uvtool import UvSettings


class Stack:
    """A validated stack spec with the options, plugins and reporter to act on it.

    This is the engine API both front doors use. It never prints, prompts or exits:
    progress goes to ``reporter`` and failures are :class:`VenvStacksError` subclasses.
    """

    def __init__(
        self,
        spec: StackSpec,
        options: EngineOptions | None = None,
        *,
        plugins: PluginManager | None = None,
        reporter: Reporter | None = None,
    ) -> None:
        self.spec = spec
        self.options = options or EngineOptions()
        self.plugins = plugins if plugins is not None else PluginManager()
        self.reporter: Reporter = reporter or NullReporter()
        build_dir = self.options.build_dir or default_build_dir(spec.spec_dir)
        #: The owner of every path under the build folder.
        self.build_folder = BuildFolder(Path(os.path.abspath(build_dir)))
        check_folder_apart(spec, self.build_dir, "build folder")
        check_local_wheels(spec, self.options.local_wheels)
        self.uv = UvSettings(cache_dir=self.options.uv_cache_dir)
        self._requirements: dict[tuple[str, str | None], tuple[str, ...]] = {}
        self._requirements_lock = threading.Lock()
        self.plugins.use_uv_settings(self.uv)

    @classmethod
    def load(
        cls,
        spec_path: str | os.PathLike[str],
        options: EngineOptions | None = None,
        *,
        plugins: PluginManager | None = None,
        reporter: Reporter | None = None,
    ) -> Stack:
        """Load and validate a spec file, then wrap it."""
        return cls(load_stack_spec(spec_path), options, plugins=plugins, reporter=reporter)

    def select(
        self,
        include: Sequence[str] = (),
        *,
        allow_missing: bool = False,
        with_lower: bool = False,
        with_derived: bool = False,
    ) -> tuple[LayerSpec, ...]:
        """Layers matching the ``include`` globs (all layers when empty), stack order.

        Patterns match env names (``framework-*``, ``app-hello``). ``with_lower`` adds
        the layers the matched ones run on; ``with_derived`` the layers built on them.
        """
        layers = self.spec.layers()
        if not include:
            return layers
        chosen: set[str] = set()
        for pattern in include:
            matched = [
                layer.env_name
                for layer in layers
                if fnmatch.fnmatchcase(layer.env_name, pattern)
            ]
            if not matched and not allow_missing:
                raise UsageError(
                    f"--include {pattern!r} matches no layer",
                    hint="Layer names: "
                    + ", ".join(layer.env_name for layer in layers)
                    + ". Pass --allow-missing to ignore patterns that match nothing.",
                )
            chosen.update(matched)
        for layer in layers:
            if layer.env_name not in chosen:
                continue
            if with_lower:
                chosen.update(lower.env_name for lower in self.spec.lower_layers(layer))
            if with_derived:
                chosen.update(upper.env_name for upper in self.spec.dependents(layer))
        return tuple(layer for layer in layers if layer.env_name in chosen)

    def plan(self, request: SelectionRequest) -> OperationPlan:
        """Which layers a command touches and the operations each gets."""
        return plan_operations(self.spec, request, self.options.target_platform)

    def _planned(self, names: Sequence[str]) -> tuple[LayerSpec, ...]:
        return tuple(self.spec.layer(name) for name in names)

    @property
    def build_dir(self) -> Path:
        """The build folder (absolute)."""
        return self.build_folder.root

    @property
    def runtime_work_dir(self) -> Path:
        """Where runtime providers may download or unpack (kept between runs)."""
        return self.build_folder.runtimes

    def layer_state(self, layer: LayerSpec, inputs_hash: str | None = None) -> LayerState:
        """Whether a layer is locked, built, and built from its current lock."""
        return self.build_folder.state(
            layer.env_name, self.lock_metadata(layer), inputs_hash
        )

    @property
    def lock_work_dir(self) -> Path:
        """Where layers are locked as small uv projects (one folder per layer)."""
        return self.build_folder.lock_work

    def lock_files(self, layer: LayerSpec) -> LockFiles:
        """The lock files of a layer."""
        return LockFiles.for_layer(self.spec.requirements_dir, layer.env_name)

    def lock_metadata(self, layer: LayerSpec) -> LockMetadata | None:
        """A layer's current lock metadata, if it has been locked."""
        return self.lock_files(layer).read_meta()

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

    def deployed_name(self, layer: LayerSpec, metadata: LockMetadata | None = None) -> str:
        """The folder name a layer is deployed as (``name@N`` for versioned layers)."""
        if not layer.versioned:
            return layer.env_name
        metadata = metadata or self.lock_metadata(layer)
        version = metadata.lock_version if metadata else 1
        return f"{layer.env_name}@{version}"

    def context(self, layer: LayerSpec, python_version: str | None = None) -> LayerContext:
        """The read-only view of a layer that plugins receive."""
        return self._context(layer, python_version, {})

    def _context(
        self,
        layer: LayerSpec,
        python_version: str | None,
        made: dict[str, LayerContext],
    ) -> LayerContext:
        # Each lower layer's context is made once per call (``made``), so a chain of
        # frameworks costs time linear in its depth, not exponential.
        lower = []
        for below in self.spec.lower_layers(layer):
            if below.env_name not in made:
                made[below.env_name] = self._context(below, None, made)
            lower.append(made[below.env_name])
        if python_version is None:
            implementation = self.python_implementation(layer)
            if implementation is not None:
                python_version = RuntimeVersion.parse(implementation, strict=False).version
        return LayerContext.for_layer(
            layer,
            self.spec,
            lower_layers=tuple(lower),
            env_path=self.build_folder.env(layer.env_name),
            python_version=python_version,
            deployed_name=self.deployed_name(layer),
            target_platform=self.options.target_platform,
        )

    def requirements(
        self, layer: LayerSpec, python_version: str | None = None
    ) -> list[str]:
        """A layer's requirements after ``venvstacks_pre_lock`` plugins adjusted them.

        The hook runs once per layer (and runtime version) for this Stack; later calls
        reuse its result.
        """
        context = self.context(layer, python_version)
        key = (layer.env_name, context.python_version)
        with self._requirements_lock:
            found = self._requirements.get(key)
        if found is None:
            requirements = list(layer.requirements)
            self.plugins.hooks.pre_lock(context, requirements)
            found = tuple(str(item) for item in requirements)
            with self._requirements_lock:
                self._requirements[key] = found
        return list(found)

    def lock_inputs(
        self,
        layer: LayerSpec,
        python_version: str | None = None,
        *,
        read: dict[str, list[LockedPackage]] | None = None,
    ) -> LockInputs:
        """A layer's current lock inputs (lower layers' pins read from their locks).

        ``read`` caches parsed lower-layer locks across calls (env name -> packages).
        """
        cache = {} if read is None else read
        for lower in self.spec.lower_layers(layer):
            if lower.env_name not in cache:
                cache[lower.env_name] = self.lock_files(lower).read_packages()
        packages_of = {
            lower.env_name: cache[lower.env_name] for lower in self.spec.lower_layers(layer)
        }
        return make_inputs(
            self.spec,
            layer,
            self.requirements(layer, python_version),
            packages_of,
            self.version_inputs(layer),
        )

    def lock_status(self, include: Sequence[str] = ()) -> list[LockStatus]:
        """Whether each selected layer's lock is present and current.

        A layer whose own lock is fine is still stale when a layer below it needs
        relocking for a reason that reaches the layers above (anything but a change
        of that layer's targets or versioned modules).
        """
        wanted = {layer.env_name for layer in self.select(include)}
        found: dict[str, LockStatus] = {}
        read: dict[str, list[LockedPackage]] = {}
        for layer in self.spec.layers():
            if not layer.enabled:
                continue
            try:
                inputs = self.lock_inputs(layer, read=read)
            except LockError as exc:  # a lower layer has no usable lock
                found[layer.env_name] = LockStatus(
                    layer.env_name, "missing", exc.message, None
                )
                continue
            status = check_lock(inputs, self.lock_files(layer))
            if status.valid:
                for lower in self.spec.lower_layers(layer):
                    below = found.get(lower.env_name)
                    if below is not None and not below.valid and below.propagates:
                        status = LockStatus(
                            layer.env_name,
                            "stale",
                            f"lower layer {lower.env_name} needs relocking",
                            status.metadata,
                        )
                        break
            found[layer.env_name] = status
        return [status for name, status in found.items() if name in wanted]

    def version_inputs(self, layer: LayerSpec) -> tuple[str, ...]:
        """Lock inputs that only version a layer: a versioned app's modules."""
        if isinstance(layer, ApplicationSpec) and layer.versioned:
            from venvstacks.layers.modules import modules_hash

            modules = [layer.launch_module, *layer.support_modules]
            return (modules_hash(modules, self.spec.spec_dir),)
        return ()

    @exclusive
    def lock(
        self,
        include: Sequence[str] = (),
        *,
        if_needed: bool = False,
        reset: Sequence[str] = (),
        allow_missing: bool = False,
        with_lower: bool = False,
        plan: OperationPlan | None = None,
        clean: bool = False,
    ) -> LockReport:
        """Lock the selected layers (lower layers first).

        With ``plan``, lock what it says (``include`` and the flags are ignored).
        ``clean`` removes the layers' lock working folders first.
        """
        from venvstacks.engine.locking import lock_layers

        if plan is None:
            layers = self.select(
                include, allow_missing=allow_missing, with_lower=with_lower
            )
            reset_names = (
                {layer.env_name for layer in self.select(reset, allow_missing=True)}
                if reset
                else set()
            )
            return lock_layers(self, layers, if_needed=if_needed, reset=reset_names)
        layers = self._planned(plan.to_lock())
        if clean:
            for layer in layers:
                shutil.rmtree(self.lock_work_dir / layer.env_name, ignore_errors=True)
        return lock_layers(
            self, layers, if_needed=plan.lock_if_needed(), reset=set(plan.to_reset())
        )

    @exclusive
    def build(
        self,
        include: Sequence[str] = (),
        *,
        lock_if_needed: bool = False,
        clean: bool = False,
        allow_missing: bool = False,
        with_lower: bool = False,
        plan: OperationPlan | None = None,
    ) -> BuildReport:
        """Build the selected layers' environments in the build folder.

        With ``plan``, lock (if needed) and build what it says; ``clean`` then applies
        to the layers it builds unconditionally.
        """
        from venvstacks.engine.building import build_layers
        from venvstacks.engine.locking import lock_layers

        if plan is None:
            layers = self.select(
                include, allow_missing=allow_missing, with_lower=with_lower
            )
            return build_layers(self, layers, lock_if_needed=lock_if_needed, clean=clean)
        locks = None
        if plan.to_lock():
            locks = lock_layers(
                self,
                self._planned(plan.to_lock()),
                if_needed=plan.lock_if_needed(),
                reset=set(plan.to_reset()),
            )
        report = build_layers(
            self,
            self._planned(plan.to_build()),
            lock_if_needed=False,
            clean=plan.build_forced() if clean else frozenset(),
        )
        return BuildReport(report.layers, locks)

    @exclusive
    def publish(
        self,
        output_dir: str | os.PathLike[str],
        include: Sequence[str] = (),
        *,
        fmt: str = "xz",
        tag_outputs: bool = False,
        force: bool = False,
        dry_run: bool = False,
        allow_missing: bool = False,
        with_lower: bool = False,
        plan: OperationPlan | None = None,
        bytecode: bool | None = None,
    ) -> PublishReport:
        """Archive the selected built layers into ``output_dir`` with metadata.

        ``bytecode``: ship precompiled ``.pyc`` files (None: the default, on).
        """
        from venvstacks.archive import archive_format
        from venvstacks.engine.currency import require_current
        from venvstacks.export.bytecode import DEFAULT_BYTECODE
        from venvstacks.export.publish import PublishOptions, publish_layers

        layers = (
            self.select(include, allow_missing=allow_missing, with_lower=with_lower)
            if plan is None
            else self._planned(plan.to_publish())
        )
        check_folder_apart(self.spec, Path(os.path.abspath(output_dir)), "output folder")
        options = PublishOptions(
            output_dir=Path(os.path.abspath(output_dir)),
            fmt=archive_format(fmt),
            tag_outputs=tag_outputs,
            force=force,
            dry_run=dry_run,
            bytecode=DEFAULT_BYTECODE if bytecode is None else bytecode,
        )
        require_current(
            self, layers, step="publish", allow_stale_lower=self.options.allow_stale_lower
        )
        return publish_layers(self, layers, options)

    @exclusive
    def local_export(
        self,
        output_dir: str | os.PathLike[str],
        include: Sequence[str] = (),
        *,
        force: bool = False,
        dry_run: bool = False,
        allow_missing: bool = False,
        with_lower: bool = False,
        plan: OperationPlan | None = None,
    ) -> PublishReport:
        """Export the selected built layers as ready-to-run folders in ``output_dir``."""
        from venvstacks.engine.currency import require_current
        from venvstacks.export.local import ExportOptions, export_layers

        layers = (
            self.select(include, allow_missing=allow_missing, with_lower=with_lower)
            if plan is None
            else self._planned(plan.to_publish())
        )
        check_folder_apart(self.spec, Path(os.path.abspath(output_dir)), "output folder")
        options = ExportOptions(
            output_dir=Path(os.path.abspath(output_dir)), force=force, dry_run=dry_run
        )
        require_current(
            self, layers, step="export", allow_stale_lower=self.options.allow_stale_lower
        )
        return export_layers(self, layers, options)
