"""Building a selection of layers: check locks, then build what changed."""

from __future__ import annotations

import shutil
import time
from collections.abc import Sequence, Set
from typing import Any

from venvstacks.engine.results import BuildReport, LayerBuildResult, LockReport
from venvstacks.engine.scheduler import run_in_order
from venvstacks.engine.session import Session
from venvstacks.errors import BuildError, LockError
from venvstacks.layers.builder import (
    BuildSettings,
    build_layered_env,
    build_runtime_env,
)
from venvstacks.layers.layout import layout_for
from venvstacks.layers.modules import modules_hash
from venvstacks.layers.state import build_inputs_hash
from venvstacks.reporting import Note, PlanReady, StepFinished, StepStarted
from venvstacks.runtimes.model import ResolvedRuntime
from venvstacks.spec.model import ApplicationSpec, LayerSpec, RuntimeSpec
from venvstacks.version import tool_version


def ensure_locks(
    session: Session, layers: Sequence[LayerSpec], *, lock_if_needed: bool
) -> LockReport | None:
    """Make sure every layer has a valid lock, relocking only if allowed."""
    if lock_if_needed:
        from venvstacks.engine.locking import lock_layers  # only when locking may run

        return lock_layers(session, layers, if_needed=True, reset=set())
    bad = [s for s in session.lock_statuses(layers) if not s.valid]
    if bad:
        details = "; ".join(f"{s.env_name}: {s.reason}" for s in bad)
        raise LockError(
            f"{len(bad)} layer lock(s) cannot be used ({details})",
            layer=bad[0].env_name if len(bad) == 1 else None,
            hint="Run 'venvstacks lock', or build with --lock-if-needed.",
        )
    return None


class _BuildRun:
    def __init__(self, session: Session, clean: bool | Set[str]):
        self.session = session
        self.clean: Set[str] = (
            {x.env_name for x in session.spec.layers()}
            if clean is True
            else (clean or set())
        )
        self.folder = session.folder
        self.settings = BuildSettings(
            uv=session.uv,
            reporter=session.reporter,
            plugins=session.plugins,
            target_platform=session.options.target_platform,
            runtime_source=session.options.runtime_source,
            runtime_work_dir=session.folder.runtimes,
            find_links=session.options.local_wheels,
            no_index=not session.options.index,
        )
        self.selected: set[str] = set()

    def _require_built(self, layer: LayerSpec) -> None:
        for lower in self.session.spec.lower_layers(layer):
            if not self.session.state(lower).built:
                raise BuildError(
                    f"lower layer {lower.env_name} has not been built",
                    layer=layer.env_name,
                    hint=f"Build it first, or include it: --include {lower.env_name}.",
                )

    def build_one(self, env_name: str) -> LayerBuildResult:
        session = self.session
        layer = session.spec.layer(env_name)
        env_dir = self.folder.env(env_name)
        started = time.perf_counter()
        session.reporter.report(StepStarted("build", env_name))
        meta = session.lock_metadata(layer)
        runtime_meta = session.lock_metadata(session.spec.runtime_of(layer))
        assert meta is not None and runtime_meta is not None
        python = session.python_implementation(layer) or runtime_meta.python_implementation
        pylock = session.lock_files(layer).pylock
        inputs: dict[str, Any] = {
            "env_name": env_name,
            "kind": layer.kind,
            "requirements_hash": meta.requirements_hash,
            "python": python,
            "post_install": session.plugins.implementers("venvstacks_post_install"),
            "linux_target": layer.linux_target,
            "dynlib_exclude": list(layer.dynlib_exclude),
            "tool": tool_version(),
        }
        layout = None
        if not isinstance(layer, RuntimeSpec):
            self._require_built(layer)
            shape = self.folder.runtime_shape(session.spec.runtime_of(layer).env_name)
            if shape is None:
                raise BuildError("its runtime layer has not been built", layer=env_name)
            layout = layout_for(session.spec, layer, shape)
            inputs["layout"] = layout.config()
            # A lower layer rebuilt from other inputs may ship its libraries elsewhere:
            # the layer's links to them (share/venv/dynlib) must be redone.
            inputs["lower_builds"] = {
                lower.env_name: (self.folder.read_stamp(lower.env_name) or {}).get(
                    "inputs_hash"
                )
                for lower in session.spec.lower_layers(layer)
            }
            if isinstance(layer, ApplicationSpec):
                inputs["modules"] = modules_hash(
                    [layer.launch_module, *layer.support_modules], session.spec.spec_dir
                )
        inputs_hash = build_inputs_hash(inputs)
        if env_name not in self.clean and session.state(layer, inputs_hash).current:
            seconds = time.perf_counter() - started
            session.reporter.report(
                StepFinished("build", env_name, "unchanged", seconds, "up to date")
            )
            return LayerBuildResult(env_name, "unchanged", env_dir, seconds, "up to date")
        self.folder.invalidate(env_name)
        if env_name in self.clean and env_dir.exists():
            shutil.rmtree(env_dir)
        ctx = session.context(layer)
        if isinstance(layer, RuntimeSpec):
            runtime = ResolvedRuntime.from_lock(python, runtime_meta.runtime_source)
            build_runtime_env(self.settings, ctx, env_dir, pylock, runtime)
        else:
            assert layout is not None
            build_layered_env(self.settings, ctx, env_dir, pylock, layout)
        self.folder.write_stamp(
            env_name,
            inputs_hash,
            {
                "plugins": session.plugins.plugins_that_ran(env_name),
                "python_implementation": python,
                "requirements_hash": meta.requirements_hash,
                "tool": tool_version(),
            },
        )
        seconds = time.perf_counter() - started
        session.reporter.report(StepFinished("build", env_name, "done", seconds))
        return LayerBuildResult(env_name, "built", env_dir, seconds)


def build_layers(
    session: Session,
    layers: Sequence[LayerSpec],
    *,
    lock_if_needed: bool,
    clean: bool | Set[str],
) -> BuildReport:
    """Build layers in dependency order; unchanged layers cost a stamp check only."""
    enabled = [layer for layer in layers if layer.enabled]
    locks = ensure_locks(session, enabled, lock_if_needed=lock_if_needed)
    platform = session.options.target_platform
    run = _BuildRun(session, clean)
    targeted = [layer.env_name for layer in enabled if layer.targets(platform)]
    results: dict[str, LayerBuildResult] = {}
    for layer in layers:
        if layer.env_name not in targeted:
            reason = "disabled" if not layer.enabled else f"not built for {platform}"
            session.reporter.report(Note("info", f"skipped: {reason}", layer.env_name))
            results[layer.env_name] = LayerBuildResult(
                layer.env_name,
                "skipped",
                session.folder.env(layer.env_name),
                0.0,
                reason,
            )
    session.reporter.report(PlanReady("build", tuple(targeted)))
    depends = {
        name: [x.env_name for x in session.spec.lower_layers(session.spec.layer(name))]
        for name in targeted
    }
    results.update(
        run_in_order(targeted, depends, run.build_one, session.options.worker_count)
    )
    ordered = tuple(results[layer.env_name] for layer in layers)
    return BuildReport(ordered, locks)
