"""Locking a selection of layers, lower layers first."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence, Set
from pathlib import Path

from venvstacks.engine.results import LayerLockResult, LockOutcomeKind, LockReport
from venvstacks.engine.scheduler import run_in_order
from venvstacks.engine.session import Session
from venvstacks.errors import LockError
from venvstacks.lock.files import LockedPackage, LockMetadata
from venvstacks.lock.inputs import make_inputs
from venvstacks.lock.locker import lock_layer
from venvstacks.lock.request import LockRequest
from venvstacks.lock.status import check_lock
from venvstacks.reporting import Outcome, PlanReady, StepFinished, StepStarted
from venvstacks.runtimes.model import ResolvedRuntime
from venvstacks.spec.model import LayerSpec, RuntimeSpec
from venvstacks.spec.runtime_version import RuntimeVersion


def resolve_runtime(session: Session, layer: RuntimeSpec) -> ResolvedRuntime:
    """Ask the runtime providers which exact Python a runtime layer gets."""
    from venvstacks.runtimes import discover_installed, not_found_error

    source = session.options.runtime_source
    request = layer.python_implementation
    resolved = session.plugins.hooks.resolve_runtime(
        session.context(layer), request, source
    )
    if resolved is None:
        raise not_found_error(
            request, source, discover_installed(session.uv), layer.env_name
        )
    return resolved


def lock_interpreter(
    session: Session, layer: RuntimeSpec, runtime: ResolvedRuntime
) -> Path:
    """An interpreter of a runtime's exact version, for uv to lock with.

    The built runtime layer when it has that version; otherwise whatever the runtime
    providers fetch (an installed interpreter, or a download).
    """
    from venvstacks.layers.builder import fetch_runtime_prefix

    env_dir = session.folder.env(layer.env_name)
    shape = session.folder.runtime_shape(layer.env_name)
    if shape is not None and shape.py_version == runtime.version:
        built = env_dir / shape.python
        if built.exists():
            return built
    prefix = fetch_runtime_prefix(
        session.plugins,
        session.context(layer, runtime.version),
        runtime,
        session.options.runtime_source,
        session.folder.runtimes,
        session.uv,
    )
    for name in (f"python{runtime.minor}", "python3"):
        candidate = prefix / "bin" / name
        if candidate.exists():
            return candidate
    raise LockError(f"no interpreter in {prefix}", layer=layer.env_name)


class _LockRun:
    def __init__(
        self,
        session: Session,
        layers: Sequence[LayerSpec],
        if_needed: bool | Set[str],
        reset: set[str],
    ):
        self.session = session
        self.layers = {layer.env_name: layer for layer in layers if layer.enabled}
        self.if_needed: Set[str] = (
            set(self.layers) if if_needed is True else (if_needed or set())
        )
        self.reset = reset
        self.packages_of: dict[str, Sequence[LockedPackage]] = {}
        self._interpreters: dict[str, Path] = {}
        self._interpreter_lock = threading.Lock()

    def interpreter(self, layer: LayerSpec, implementation: str, source: str) -> Path:
        """The interpreter uv locks a layer with (one per runtime per run)."""
        runtime_layer = self.session.spec.runtime_of(layer)
        with self._interpreter_lock:
            found = self._interpreters.get(runtime_layer.env_name)
            if found is None:
                runtime = ResolvedRuntime.from_lock(implementation, source)
                found = lock_interpreter(self.session, runtime_layer, runtime)
                self._interpreters[runtime_layer.env_name] = found
            return found

    def lower_packages(self, layer: LayerSpec) -> dict[str, Sequence[LockedPackage]]:
        found = {}
        for lower in self.session.spec.lower_layers(layer):
            if lower.env_name not in self.packages_of:
                files = self.session.lock_files(lower)
                if files.read_meta() is None:
                    raise LockError(
                        f"lower layer {lower.env_name} has not been locked",
                        layer=layer.env_name,
                        hint=f"Lock it first, or include it: --include {lower.env_name}.",
                    )
                self.packages_of[lower.env_name] = files.read_packages()
            found[lower.env_name] = self.packages_of[lower.env_name]
        return found

    def lock_one(self, env_name: str) -> LayerLockResult:
        session, layer = self.session, self.layers[env_name]
        files = session.lock_files(layer)
        started = time.perf_counter()
        session.reporter.report(StepStarted("lock", env_name))
        lower = self.lower_packages(layer)
        if env_name in self.if_needed and env_name not in self.reset:
            inputs = make_inputs(
                session.spec,
                layer,
                session.requirements(layer),
                lower,
                session.version_inputs(layer),
            )
            status = check_lock(inputs, files)
            if status.valid and status.metadata is not None:
                self.packages_of[env_name] = files.read_packages()
                return self._finish(
                    env_name,
                    "skipped",
                    status.metadata,
                    files.pylock,
                    started,
                    "lock is up to date",
                )
        if isinstance(layer, RuntimeSpec):
            runtime = resolve_runtime(session, layer)
            implementation, provider = runtime.implementation_name, runtime.source
        else:
            runtime_meta = session.lock_metadata(session.spec.runtime_of(layer))
            assert runtime_meta is not None  # checked by lower_packages
            implementation = runtime_meta.python_implementation
            provider = runtime_meta.runtime_source
        version = RuntimeVersion.parse(implementation, strict=False).version
        inputs = make_inputs(
            session.spec,
            layer,
            session.requirements(layer, version),
            lower,
            session.version_inputs(layer),
        )
        previous = files.read_meta()
        outcome = lock_layer(
            LockRequest(
                inputs=inputs,
                files=files,
                work_dir=session.folder.lock_work,
                python_implementation=implementation,
                runtime_source=provider,
                versioned=layer.versioned,
                exclude_newer=session.spec.uv.exclude_newer,
                reset=env_name in self.reset,
                python=self.interpreter(layer, implementation, provider),
                find_links=session.options.local_wheels,
                no_index=not session.options.index,
            ),
            session.uv,
            session.reporter,
        )
        self.packages_of[env_name] = outcome.packages
        session.lock_written(layer, outcome.packages)
        kind: LockOutcomeKind = "unchanged"
        if outcome.changed:
            kind = "locked" if previous is None else "updated"
        return self._finish(env_name, kind, outcome.metadata, files.pylock, started)

    def _finish(
        self,
        env_name: str,
        kind: LockOutcomeKind,
        metadata: LockMetadata,
        pylock: Path,
        started: float,
        reason: str = "",
    ) -> LayerLockResult:
        seconds = time.perf_counter() - started
        step_outcome: Outcome = "done" if kind in ("locked", "updated") else "unchanged"
        self.session.reporter.report(
            StepFinished("lock", env_name, step_outcome, seconds, kind)
        )
        return LayerLockResult(
            env_name=env_name,
            outcome=kind,
            lock_version=metadata.lock_version,
            locked_at=metadata.locked_at,
            python_implementation=metadata.python_implementation,
            pylock=pylock,
            seconds=seconds,
            reason=reason,
        )


def lock_layers(
    session: Session,
    layers: Sequence[LayerSpec],
    *,
    if_needed: bool | Set[str],
    reset: set[str],
) -> LockReport:
    """Lock layers in dependency order, independent layers in parallel.

    ``if_needed``: the layers (or True: all) whose lock is kept while still valid.
    """
    run = _LockRun(session, layers, if_needed, reset)
    names = list(run.layers)
    session.reporter.report(PlanReady("lock", tuple(names)))
    depends = {
        name: [lower.env_name for lower in session.spec.lower_layers(run.layers[name])]
        for name in names
    }
    results = run_in_order(names, depends, run.lock_one, session.options.worker_count)
    return LockReport(tuple(results[name] for name in names))
