"""``local-export``: deployable layer folders, ready to run in place.

Layers are staged straight into the output folder under their deployed names, with
hard links to the build folder where possible (so exporting costs little time or
space: do not modify exported files in place, replace them). ``pre_archive``
plugins run on each exported folder, then its ``postinstall.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from venvstacks.engine.results import LayerPublishResult, PublishOutcomeKind, PublishReport
from venvstacks.engine.scheduler import run_in_order
from venvstacks.errors import DeployError
from venvstacks.export.metadata import MetadataFolder, layer_metadata
from venvstacks.export.plan import deployed_names, plan_layers
from venvstacks.export.stage import POSTINSTALL_NAME, stage_layer
from venvstacks.fsutil import remove_path, temp_path
from venvstacks.reporting import PlanReady, StepFinished, StepStarted
from venvstacks.spec.model import LayerSpec
from venvstacks.version import tool_version

if TYPE_CHECKING:
    from venvstacks.engine.stack import Stack

STAGING_DIR = "_staging"


@dataclass(frozen=True)
class ExportOptions:
    """How to export.

    :ivar output_dir: the folder receiving one sub-folder per layer.
    :ivar force: export every selected layer even if its inputs are unchanged.
    :ivar dry_run: decide and report, write nothing.
    :ivar hardlink: hard-link files from the build folder (else copy them).
    """

    output_dir: Path
    force: bool = False
    dry_run: bool = False
    hardlink: bool = True


def run_postinstall(layer_dir: Path, python: str | None = None) -> None:
    """Run a deployed layer's ``postinstall.py`` (with this Python by default)."""
    command = [python or sys.executable, "-I", str(layer_dir / POSTINSTALL_NAME)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        reason = (result.stderr or result.stdout).strip().splitlines()
        raise DeployError(
            f"postinstall.py failed: {reason[-1] if reason else result.returncode}",
            layer=layer_dir.name,
        )


def export_layers(
    stack: Stack, layers: Sequence[LayerSpec], options: ExportOptions
) -> PublishReport:
    """Export the selected layers into ``options.output_dir``."""
    folder = MetadataFolder(options.output_dir)
    plans = {plan.env_name: plan for plan in plan_layers(stack, layers)}
    names = deployed_names(stack)
    stack.reporter.report(PlanReady("export", tuple(plans)))

    def work(env_name: str) -> LayerPublishResult:
        plan = plans[env_name]
        started = time.perf_counter()
        stack.reporter.report(StepStarted("export", env_name))
        inputs_hash = plan.inputs_hash(
            kind="export",
            pre_archive=stack.plugins.implementers("venvstacks_pre_archive"),
            tool=tool_version(),
        )
        target = options.output_dir / plan.deployed_name
        previous = folder.read_env(env_name)
        unchanged = (
            not options.force
            and previous is not None
            and previous.get("inputs_hash") == inputs_hash
            and target.is_dir()
        )
        outcome: PublishOutcomeKind
        metadata: dict[str, Any]
        if unchanged or options.dry_run:
            outcome = "unchanged" if unchanged else "planned"
            metadata = dict(previous or {})
        else:
            # Staged in the output folder's scratch folder, then renamed into place:
            # an interrupted export never leaves a half-made layer under its name.
            folder.forget_env(env_name)
            staged = stage_layer(
                stack.build_dir,
                plan.layout,
                temp_path(options.output_dir / STAGING_DIR),
                hardlink=options.hardlink,
            )
            stack.plugins.hooks.pre_archive(stack.context(plan.layer), staged.path)
            remove_path(target)
            os.replace(staged.path, target)
            run_postinstall(target)
            plugins = set(plan.build_stamp.get("plugins", []))
            plugins.update(stack.plugins.plugins_that_ran(env_name))
            metadata = layer_metadata(stack, plan.layer, names, sorted(plugins))
            metadata.update(
                target_platform=stack.options.target_platform, inputs_hash=inputs_hash
            )
            folder.write_env(metadata)
            outcome = "exported"
        seconds = time.perf_counter() - started
        stack.reporter.report(
            StepFinished(
                "export",
                env_name,
                "done" if outcome == "exported" else "unchanged",
                seconds,
                outcome,
            )
        )
        return LayerPublishResult(
            env_name, plan.deployed_name, outcome, target, metadata, seconds
        )

    # A layer's postinstall.py links it to its lower layers: they must be in place.
    lower = {
        name: [below.env_name for below in stack.spec.lower_layers(plan.layer)]
        for name, plan in plans.items()
    }
    results = run_in_order(list(plans), lower, work, stack.options.worker_count)
    manifest = None
    if not options.dry_run and results:
        manifest = folder.write_manifest(stack, stack.spec.layers())
    return PublishReport(
        tuple(results[name] for name in plans),
        options.output_dir,
        manifest,
        options.dry_run,
    )
