"""The engine's entry point: a loaded stack plus how to run commands on it."""

from __future__ import annotations

import fnmatch
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from venvstacks.engine.build_folder import BuildFolder, LayerState, default_build_dir
from venvstacks.engine.guards import check_folder_apart, check_local_wheels
from venvstacks.engine.noop_memo import Invocation
from venvstacks.engine.options import EngineOptions
from venvstacks.engine.results import BuildReport, LockReport, PublishReport
from venvstacks.engine.runlock import exclusive
from venvstacks.engine.selection import OperationPlan, SelectionRequest, plan_operations
from venvstacks.engine.session import Session, one_session
from venvstacks.errors import UsageError
from venvstacks.lock.files import LockFiles, LockMetadata
from venvstacks.lock.inputs import LockInputs
from venvstacks.lock.status import LockStatus
from venvstacks.plugins.context import LayerContext
from venvstacks.plugins.manager import PluginManager
from venvstacks.reporting import NullReporter, Reporter
from venvstacks.spec.loader import load_stack_spec
from venvstacks.spec.model import LayerSpec, StackSpec
from venvstacks.uvtool import UvRunner, UvSettings


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
        uv_runner: UvRunner | None = None,
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
        #: ``uv_runner`` replaces the uv binary (a test seam; see :data:`UvRunner`).
        self.uv = UvSettings(cache_dir=self.options.uv_cache_dir, runner=uv_runner)
        self.plugins.use_uv_settings(self.uv)
        #: The session of the command running now (one per command, see one_session).
        self._active: Session | None = None

    @classmethod
    def load(
        cls,
        spec_path: str | os.PathLike[str],
        options: EngineOptions | None = None,
        *,
        plugins: PluginManager | None = None,
        reporter: Reporter | None = None,
        uv_runner: UvRunner | None = None,
    ) -> Stack:
        """Load and validate a spec file, then wrap it."""
        spec = load_stack_spec(spec_path)
        return cls(spec, options, plugins=plugins, reporter=reporter, uv_runner=uv_runner)

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

    def session(self) -> Session:
        """A new run session: what one command knows about the stack, worked out once.

        Every command method makes one; the query methods below each use a fresh one
        (so they always see the files as they are now).
        """
        return Session(
            spec=self.spec,
            options=self.options,
            plugins=self.plugins,
            reporter=self.reporter,
            folder=self.build_folder,
            uv=self.uv,
        )

    def current_session(self) -> Session:
        """The running command's session, or a fresh one outside commands."""
        return self._active if self._active is not None else self.session()

    @property
    def lock_work_dir(self) -> Path:
        """Where layers are locked as small uv projects (one folder per layer)."""
        return self.build_folder.lock_work

    def layer_state(self, layer: LayerSpec, inputs_hash: str | None = None) -> LayerState:
        """Whether a layer is locked, built, and built from its current lock."""
        return self.current_session().state(layer, inputs_hash)

    def lock_files(self, layer: LayerSpec) -> LockFiles:
        """The lock files of a layer."""
        return self.current_session().lock_files(layer)

    def lock_metadata(self, layer: LayerSpec) -> LockMetadata | None:
        """A layer's current lock metadata, if it has been locked."""
        return self.current_session().lock_metadata(layer)

    def python_implementation(self, layer: LayerSpec) -> str | None:
        """``cpython@X.Y.Z`` a layer runs on (None while its runtime is unlocked)."""
        return self.current_session().python_implementation(layer)

    def version_inputs(self, layer: LayerSpec) -> tuple[str, ...]:
        """Lock inputs that only version a layer: a versioned app's modules."""
        return self.current_session().version_inputs(layer)

    def deployed_name(self, layer: LayerSpec, metadata: LockMetadata | None = None) -> str:
        """The folder name a layer is deployed as (``name@N`` for versioned layers)."""
        return self.current_session().deployed_name(layer, metadata)

    def context(self, layer: LayerSpec, python_version: str | None = None) -> LayerContext:
        """The read-only view of a layer that plugins receive."""
        return self.current_session().context(layer, python_version)

    def requirements(
        self, layer: LayerSpec, python_version: str | None = None
    ) -> list[str]:
        """A layer's requirements after ``venvstacks_pre_lock`` plugins adjusted them."""
        return self.current_session().requirements(layer, python_version)

    def lock_inputs(
        self, layer: LayerSpec, python_version: str | None = None
    ) -> LockInputs:
        """A layer's current lock inputs (lower layers' pins read from their locks)."""
        return self.current_session().lock_inputs(layer, python_version)

    def lock_status(self, include: Sequence[str] = ()) -> list[LockStatus]:
        """Whether each selected (enabled) layer's lock is present and current."""
        return self.current_session().lock_statuses(self.select(include))

    @exclusive
    @one_session
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
            return lock_layers(
                self.current_session(), layers, if_needed=if_needed, reset=reset_names
            )
        layers = self._planned(plan.to_lock())
        if clean:
            for layer in layers:
                shutil.rmtree(self.lock_work_dir / layer.env_name, ignore_errors=True)
        return lock_layers(
            self.current_session(),
            layers,
            if_needed=plan.lock_if_needed(),
            reset=set(plan.to_reset()),
        )

    @exclusive
    @one_session
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
        session = self.current_session()
        locks = None
        if plan.to_lock():
            locks = lock_layers(
                session,
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

    @one_session
    def record_noop_memo(
        self, plan: OperationPlan, invocation: Invocation, text: str
    ) -> bool:
        """After a successful ``build(plan=plan)``: memoise its next run's answer.

        ``text`` is what that run would print. Writes the no-op memo of ``invocation``
        when building ``plan`` again would find nothing to do (see
        :mod:`venvstacks.engine.noop_watch`); returns whether it did.
        """
        from venvstacks.engine.noop_watch import record

        return record(self, plan, invocation, text)

    @exclusive
    @one_session
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
        from venvstacks.engine.publishing import publish_layers
        from venvstacks.export.bytecode import DEFAULT_BYTECODE
        from venvstacks.export.publish import ArchiveTarget, PublishOptions

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
        target = ArchiveTarget(
            options,
            reporter=self.reporter,
            build_dir=self.build_dir,
            target_platform=self.options.target_platform,
            worker_count=self.options.worker_count,
        )
        return publish_layers(self.current_session(), layers, target)

    @exclusive
    @one_session
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
        from venvstacks.engine.publishing import publish_layers
        from venvstacks.export.local import ExportOptions, FolderTarget

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
        return publish_layers(self.current_session(), layers, FolderTarget(options))
