"""Publishing and exporting: one pipeline, two output targets.

For the selected layers built for this platform: plan (each must be built from its
current lock), hash what each output is made from, let the target decide what to
(re)write, then per layer and in parallel: stage, fire ``venvstacks_pre_archive``,
let the target write, record the layer's metadata; finally the stack summary. The
targets (:class:`~venvstacks.export.publish.ArchiveTarget` for ``publish``,
:class:`~venvstacks.export.local.FolderTarget` for ``local-export``) know only
their own output.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from venvstacks.archive import ArchiveFormat
from venvstacks.engine.results import LayerPublishResult, PublishOutcomeKind, PublishReport
from venvstacks.engine.scheduler import run_in_order
from venvstacks.engine.session import Session
from venvstacks.errors import ArchiveError
from venvstacks.export.bytecode import DEFAULT_BYTECODE
from venvstacks.export.metadata import layer_metadata
from venvstacks.export.plan import LayerPlan, reproducible_mtime
from venvstacks.export.publish import ArchiveTarget, PublishOptions
from venvstacks.export.target import Decision, OutputTarget
from venvstacks.fsutil import temp_path
from venvstacks.layers.dynlibs import recorded_links
from venvstacks.layers.layout import layout_for
from venvstacks.reporting import NullReporter, PlanReady, StepFinished, StepStarted
from venvstacks.spec.model import LayerSpec
from venvstacks.version import tool_version


def plan_layers(session: Session, layers: Sequence[LayerSpec]) -> list[LayerPlan]:
    """Plans for the selected layers built for this platform.

    :raises ArchiveError: when a layer is not built from its current lock, or its
        runtime layer is not built.
    """
    names = session.deployed_names()
    platform = session.options.target_platform
    plans: list[LayerPlan] = []
    for layer in layers:
        if not (layer.enabled and layer.targets(platform)):
            continue
        state = session.state(layer)
        lock = session.lock_metadata(layer)
        if lock is None or state.stamp is None or not state.current:
            raise ArchiveError(
                "the layer is not built from its current lock",
                layer=layer.env_name,
                hint="Run 'venvstacks build' (or 'venvstacks build --publish') first.",
            )
        runtime = session.spec.runtime_of(layer)
        runtime_lock = session.lock_metadata(runtime)
        shape = session.folder.runtime_shape(runtime.env_name)
        if shape is None or runtime_lock is None:
            raise ArchiveError(
                f"its runtime layer {runtime.env_name} is not built", layer=layer.env_name
            )
        env_dir = session.folder.env(layer.env_name)
        layout = layout_for(session.spec, layer, shape, names)
        plans.append(
            LayerPlan(
                layer=layer,
                layout=layout.with_dynlibs(recorded_links(env_dir), names),
                build_stamp=state.stamp,
                mtime=reproducible_mtime(lock.locked_at),
                lock=lock,
                runtime_lock=runtime_lock,
                env_dir=env_dir,
                python_implementation=session.python_implementation(layer)
                or runtime_lock.python_implementation,
            )
        )
    return plans


def write_layer(
    session: Session,
    target: OutputTarget,
    plan: LayerPlan,
    decision: Decision,
    staging_root: Path,
) -> dict[str, Any]:
    """Stage a built layer, fire ``pre_archive``, let the target write it.

    The one way a layer's output is made; returns the metadata fields the target adds.
    """
    staged = target.stage(plan, session.folder.root, staging_root)
    try:
        session.hooks.pre_archive(session.context(plan.layer), staged.path)
        return target.write(plan, decision, staged)
    finally:
        target.cleanup(staged)


def archive_layer(
    session: Session,
    plan: LayerPlan,
    archive_path: Path,
    fmt: ArchiveFormat,
    staging_root: Path,
    *,
    bytecode: bool = DEFAULT_BYTECODE,
) -> dict[str, Any]:
    """Archive one built layer at ``archive_path`` exactly as ``publish`` would.

    The ``reproducible`` check calls it a second time with another ``staging_root`` to
    compare the bytes. Returns the archive's size and hash fields.
    """
    options = PublishOptions(archive_path.parent, fmt, bytecode=bytecode)
    target = ArchiveTarget(
        options,
        reporter=NullReporter(),
        build_dir=session.folder.root,
        target_platform=session.options.target_platform,
        worker_count=session.options.worker_count,
    )
    decision = Decision(archive_path, True, "", "", None)
    return write_layer(session, target, plan, decision, staging_root)


def publish_layers(
    session: Session, layers: Sequence[LayerSpec], target: OutputTarget
) -> PublishReport:
    """Write the selected built layers to ``target`` (see the module docstring)."""
    plans = {plan.env_name: plan for plan in plan_layers(session, layers)}
    pre_archive = session.plugins.implementers("venvstacks_pre_archive")
    extra = {**target.hash_inputs(), "pre_archive": pre_archive, "tool": tool_version()}
    decisions = {
        name: target.decide(plan, plan.inputs_hash(**extra)) for name, plan in plans.items()
    }
    names = session.deployed_names()
    session.reporter.report(PlanReady(target.step, tuple(plans)))
    # In the build folder's scratch folder: whatever a killed run leaves is removed
    # by the next one.
    staging_root = temp_path(session.folder.staging)

    def metadata(plan: LayerPlan, decision: Decision) -> dict[str, Any]:
        plugins = set(plan.build_stamp.get("plugins", []))
        plugins.update(session.plugins.plugins_that_ran(plan.env_name))
        data = layer_metadata(plan, session.spec, names, sorted(plugins))
        data.update(decision.fields)
        data.update(
            target_platform=session.options.target_platform,
            inputs_hash=decision.inputs_hash,
        )
        return data

    def work(env_name: str) -> LayerPublishResult:
        plan, decision = plans[env_name], decisions[env_name]
        started = time.perf_counter()
        session.reporter.report(StepStarted(target.step, env_name))
        outcome: PublishOutcomeKind
        if target.dry_run or not decision.rewrite:
            outcome = "planned" if decision.rewrite else "unchanged"
            data = dict(decision.previous or {})
            if outcome == "planned" and target.planned_metadata():
                data = metadata(plan, decision)
            step_outcome = "unchanged"
        else:
            written = write_layer(session, target, plan, decision, staging_root)
            data = {**metadata(plan, decision), **written}
            target.metadata.write_env(data)
            outcome = target.written
            step_outcome = "done"
        seconds = time.perf_counter() - started
        session.reporter.report(
            StepFinished(
                target.step,
                env_name,
                step_outcome,  # type: ignore[arg-type]
                seconds,
                target.detail(decision, outcome),
            )
        )
        return LayerPublishResult(
            env_name,
            plan.deployed_name,
            outcome,
            decision.path,
            data,
            seconds,
            decision.reason,
        )

    lower = {
        name: [below.env_name for below in session.spec.lower_layers(plan.layer)]
        for name, plan in plans.items()
        if target.lower_first
    }
    results = run_in_order(list(plans), lower, work, session.options.worker_count)
    manifest = None
    if not target.dry_run and results:
        manifest = target.metadata.write_manifest(session.spec.layers())
    return PublishReport(
        tuple(results[name] for name in plans), target.output_dir, manifest, target.dry_run
    )
