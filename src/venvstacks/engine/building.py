"""Building a selection of layers: check locks, then build what changed."""

from __future__ import annotations

import shutil
import time
from collections.abc import Sequence, Set
from typing import TYPE_CHECKING

from venvstacks.engine.currency import build_inputs, check_lower_layers
from venvstacks.engine.results import BuildReport, LayerBuildResult, LockReport
from venvstacks.engine.scheduler import run_in_order
from venvstacks.errors import BuildError, LockError
from venvstacks.layers.builder import (
    BuildSettings,
    build_layered_env,
    build_runtime_env,
)
from venvstacks.reporting import Note, PlanReady, StepFinished, StepStarted
from venvstacks.runtimes.model import ResolvedRuntime
from venvstacks.spec.model import LayerSpec, RuntimeSpec
from venvstacks.version import tool_version

if TYPE_CHECKING:
    from venvstacks.engine.stack import Stack


def ensure_locks(
    stack: Stack, layers: Sequence[LayerSpec], *, lock_if_needed: bool
) -> LockReport | None:
    """Make sure every layer has a valid lock, relocking only if allowed."""
    if lock_if_needed:
        from venvstacks.engine.locking import lock_layers  # only when locking may run

        return lock_layers(stack.current_session(), layers, if_needed=True, reset=set())
    names = [layer.env_name for layer in layers]
    bad = [s for s in stack.lock_status(names) if not s.valid]
    if bad:
        details = "; ".join(f"{s.env_name}: {s.reason}" for s in bad)
        raise LockError(
            f"{len(bad)} layer lock(s) cannot be used ({details})",
            layer=bad[0].env_name if len(bad) == 1 else None,
            hint="Run 'venvstacks lock', or build with --lock-if-needed.",
        )
    return None


class _BuildRun:
    def __init__(self, stack: Stack, clean: bool | Set[str]):
        self.stack = stack
        self.clean: Set[str] = (
            {x.env_name for x in stack.spec.layers()} if clean is True else (clean or set())
        )
        self.folder = stack.build_folder
        self.settings = BuildSettings(
            uv=stack.uv,
            reporter=stack.reporter,
            plugins=stack.plugins,
            target_platform=stack.options.target_platform,
            runtime_source=stack.options.runtime_source,
            runtime_work_dir=stack.runtime_work_dir,
            find_links=stack.options.local_wheels,
            no_index=not stack.options.index,
        )
        self.selected: set[str] = set()

    def _require_built(self, layer: LayerSpec) -> None:
        for lower in self.stack.spec.lower_layers(layer):
            if not self.stack.layer_state(lower).built:
                raise BuildError(
                    f"lower layer {lower.env_name} has not been built",
                    layer=layer.env_name,
                    hint=f"Build it first, or include it: --include {lower.env_name}.",
                )

    def build_one(self, env_name: str) -> LayerBuildResult:
        stack = self.stack
        layer = stack.spec.layer(env_name)
        env_dir = self.folder.env(env_name)
        started = time.perf_counter()
        stack.reporter.report(StepStarted("build", env_name))
        meta = stack.lock_metadata(layer)
        runtime_meta = stack.lock_metadata(stack.spec.runtime_of(layer))
        assert meta is not None and runtime_meta is not None
        python = stack.python_implementation(layer) or runtime_meta.python_implementation
        pylock = stack.lock_files(layer).pylock
        if not isinstance(layer, RuntimeSpec):
            self._require_built(layer)
        inputs_hash, layout = build_inputs(stack, layer)
        if env_name not in self.clean and stack.layer_state(layer, inputs_hash).current:
            seconds = time.perf_counter() - started
            stack.reporter.report(
                StepFinished("build", env_name, "unchanged", seconds, "up to date")
            )
            return LayerBuildResult(env_name, "unchanged", env_dir, seconds, "up to date")
        self.folder.invalidate(env_name)
        if env_name in self.clean and env_dir.exists():
            shutil.rmtree(env_dir)
        ctx = stack.context(layer)
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
                "plugins": stack.plugins.plugins_that_ran(env_name),
                "python_implementation": python,
                "requirements_hash": meta.requirements_hash,
                "tool": tool_version(),
            },
        )
        seconds = time.perf_counter() - started
        stack.reporter.report(StepFinished("build", env_name, "done", seconds))
        return LayerBuildResult(env_name, "built", env_dir, seconds)


def build_layers(
    stack: Stack,
    layers: Sequence[LayerSpec],
    *,
    lock_if_needed: bool,
    clean: bool | Set[str],
) -> BuildReport:
    """Build layers in dependency order; unchanged layers cost a stamp check only."""
    enabled = [layer for layer in layers if layer.enabled]
    locks = ensure_locks(stack, enabled, lock_if_needed=lock_if_needed)
    platform = stack.options.target_platform
    run = _BuildRun(stack, clean)
    targeted = [layer.env_name for layer in enabled if layer.targets(platform)]
    results: dict[str, LayerBuildResult] = {}
    for layer in layers:
        if layer.env_name not in targeted:
            reason = "disabled" if not layer.enabled else f"not built for {platform}"
            stack.reporter.report(Note("info", f"skipped: {reason}", layer.env_name))
            results[layer.env_name] = LayerBuildResult(
                layer.env_name,
                "skipped",
                stack.build_folder.env(layer.env_name),
                0.0,
                reason,
            )
    check_lower_layers(
        stack,
        [layer for layer in enabled if layer.env_name in targeted],
        step="build",
        allow=stack.options.allow_stale_lower,
    )
    stack.reporter.report(PlanReady("build", tuple(targeted)))
    depends = {
        name: [x.env_name for x in stack.spec.lower_layers(stack.spec.layer(name))]
        for name in targeted
    }
    results.update(
        run_in_order(targeted, depends, run.build_one, stack.options.worker_count)
    )
    ordered = tuple(results[layer.env_name] for layer in layers)
    return BuildReport(ordered, locks)
