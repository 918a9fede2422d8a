"""``publish``: one reproducible archive per layer, plus metadata.

Each selected layer is staged (with deployed names), passed to ``pre_archive``
plugins, and written as a deterministic archive whose single top folder is the
deployed name. Layers whose inputs did not change since the last publish into the same
folder keep their archive and build number. Compression runs in parallel threads.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from venvstacks.archive import SUFFIXES, ArchiveFormat, ArchiveResult, write_archive
from venvstacks.engine.results import (
    LayerPublishResult,
    PublishOutcomeKind,
    PublishReport,
)
from venvstacks.engine.scheduler import run_in_order
from venvstacks.export.bytecode import DEFAULT_BYTECODE, bytecode_mode, ship_bytecode
from venvstacks.export.metadata import MetadataFolder, layer_metadata
from venvstacks.export.plan import LayerPlan, deployed_names, plan_layers
from venvstacks.export.stage import stage_layer
from venvstacks.fsutil import temp_path, tree_size
from venvstacks.reporting import (
    DataProgress,
    PlanReady,
    Reporter,
    StepFinished,
    StepStarted,
)
from venvstacks.spec.model import LayerSpec
from venvstacks.version import tool_version

if TYPE_CHECKING:
    from venvstacks.engine.stack import Stack


@dataclass(frozen=True)
class PublishOptions:
    """How to publish.

    :ivar output_dir: where archives and ``__venvstacks__`` metadata go.
    :ivar fmt: archive format (``xz`` like the reference, ``gz``, ``zst``, ``zip``).
    :ivar tag_outputs: name archives ``<deployed>-<platform>-<build>.<ext>`` and tag
        metadata file names with the platform.
    :ivar force: archive every selected layer even when its inputs are unchanged.
    :ivar dry_run: decide and report, write nothing.
    :ivar bytecode: ship precompiled, hash-based ``.pyc`` files in every layer (see
        :mod:`venvstacks.export.bytecode`).
    """

    output_dir: Path
    fmt: ArchiveFormat = "xz"
    tag_outputs: bool = False
    force: bool = False
    dry_run: bool = False
    bytecode: bool = DEFAULT_BYTECODE


@dataclass(frozen=True)
class _Decision:
    plan: LayerPlan
    archive_path: Path
    build: int
    inputs_hash: str
    previous: dict[str, Any] | None
    rebuild: bool
    reason: str


def _decide(
    stack: Stack, plan: LayerPlan, options: PublishOptions, folder: MetadataFolder
) -> _Decision:
    platform = stack.options.target_platform
    inputs_hash = plan.inputs_hash(
        format=options.fmt,
        bytecode=bytecode_mode(options.bytecode),
        pre_archive=stack.plugins.implementers("venvstacks_pre_archive"),
        tool=tool_version(),
    )
    previous = folder.read_env(plan.env_name)
    lock = stack.lock_metadata(plan.layer)
    assert lock is not None
    same_lock = previous is not None and previous.get("lock_version") == lock.lock_version
    last_build = int(previous.get("archive_build", 0)) if previous and same_lock else 0

    def archive_path(build: int) -> Path:
        suffix = SUFFIXES[options.fmt]
        if options.tag_outputs:
            return options.output_dir / f"{plan.deployed_name}-{platform}-{build}{suffix}"
        return options.output_dir / f"{plan.deployed_name}{suffix}"

    if previous is not None and same_lock and not options.force:
        existing = archive_path(last_build)
        if (
            previous.get("inputs_hash") == inputs_hash
            and previous.get("archive_name") == existing.name
            and existing.is_file()
            and existing.stat().st_size == previous.get("archive_size")
        ):
            return _Decision(
                plan, existing, last_build, inputs_hash, previous, False, "inputs unchanged"
            )
    reason = (
        "forced"
        if options.force
        else ("first publish" if previous is None else "inputs changed")
    )
    build = last_build + 1
    return _Decision(plan, archive_path(build), build, inputs_hash, previous, True, reason)


def publish_layers(
    stack: Stack, layers: Sequence[LayerSpec], options: PublishOptions
) -> PublishReport:
    """Publish the selected layers (see the module docstring)."""
    platform_tag = f"-{stack.options.target_platform}" if options.tag_outputs else ""
    folder = MetadataFolder(options.output_dir, platform_tag)
    plans = plan_layers(stack, layers)
    decisions = {plan.env_name: _decide(stack, plan, options, folder) for plan in plans}
    names = list(decisions)
    stack.reporter.report(PlanReady("publish", tuple(names)))
    # In the build folder's scratch folder: whatever a killed run leaves is removed
    # by the next one.
    staging_root = temp_path(stack.build_folder.staging)

    def work(env_name: str) -> LayerPublishResult:
        decision = decisions[env_name]
        started = time.perf_counter()
        stack.reporter.report(StepStarted("publish", env_name))
        if options.dry_run or not decision.rebuild:
            outcome: PublishOutcomeKind = (
                "planned" if options.dry_run and decision.rebuild else "unchanged"
            )
            metadata = dict(decision.previous or {})
            if options.dry_run and decision.rebuild:
                metadata = _metadata(stack, decision, options, size=None, sha256=None)
            seconds = time.perf_counter() - started
            stack.reporter.report(
                StepFinished(
                    "publish",
                    env_name,
                    "unchanged",
                    seconds,
                    f"{outcome}: {decision.reason}",
                )
            )
            return LayerPublishResult(
                env_name,
                decision.plan.deployed_name,
                outcome,
                decision.archive_path,
                metadata,
                seconds,
                decision.reason,
            )
        return _archive(stack, decision, options, folder, staging_root, started)

    results = run_in_order(names, {}, work, stack.options.worker_count)
    manifest = None
    if not options.dry_run and results:
        manifest = folder.write_manifest(stack, stack.spec.layers())
    ordered = tuple(results[name] for name in names)
    return PublishReport(ordered, options.output_dir, manifest, options.dry_run)


def _metadata(
    stack: Stack,
    decision: _Decision,
    options: PublishOptions,
    *,
    size: int | None,
    sha256: str | None,
) -> dict[str, Any]:
    plan = decision.plan
    names = deployed_names(stack)
    plugins = set(plan.build_stamp.get("plugins", []))
    plugins.update(stack.plugins.plugins_that_ran(plan.env_name))
    data = layer_metadata(stack, plan.layer, names, sorted(plugins))
    data.update(
        archive_build=decision.build,
        archive_name=decision.archive_path.name,
        archive_format=options.fmt,
        bytecode=bytecode_mode(options.bytecode),
        target_platform=stack.options.target_platform,
        inputs_hash=decision.inputs_hash,
    )
    if size is not None and sha256 is not None:
        data["archive_size"] = size
        data["archive_hashes"] = {"sha256": sha256}
    return data


def _archive(
    stack: Stack,
    decision: _Decision,
    options: PublishOptions,
    folder: MetadataFolder,
    staging_root: Path,
    started: float,
) -> LayerPublishResult:
    plan = decision.plan
    options.output_dir.mkdir(parents=True, exist_ok=True)
    result = archive_layer(
        stack,
        plan,
        decision.archive_path,
        options.fmt,
        staging_root,
        bytecode=options.bytecode,
        metered=True,
    )
    metadata = _metadata(stack, decision, options, size=result.size, sha256=result.sha256)
    folder.write_env(metadata)
    seconds = time.perf_counter() - started
    stack.reporter.report(
        StepFinished("publish", plan.env_name, "done", seconds, decision.archive_path.name)
    )
    return LayerPublishResult(
        plan.env_name,
        plan.deployed_name,
        "archived",
        decision.archive_path,
        metadata,
        seconds,
        decision.reason,
    )


def archive_layer(
    stack: Stack,
    plan: LayerPlan,
    archive_path: Path,
    fmt: ArchiveFormat,
    staging_root: Path,
    *,
    bytecode: bool = DEFAULT_BYTECODE,
    metered: bool = False,
) -> ArchiveResult:
    """Stage a built layer, fire ``pre_archive``, add bytecode, write its archive.

    The one way a layer's archive is made: ``publish`` uses it, and the
    ``reproducible`` check calls it a second time with another ``staging_root`` to
    compare the bytes. The staged copy is removed afterwards.
    """
    staged = stage_layer(stack.build_dir, plan.layout, staging_root)
    try:
        stack.plugins.hooks.pre_archive(stack.context(plan.layer), staged.path)
        if bytecode:
            ship_bytecode(stack.build_dir, plan.layout, staged.path)
        progress = (
            DataMeter(stack.reporter, plan.env_name, tree_size(staged.path))
            if metered
            else None
        )
        return write_archive(
            staged.path,
            archive_path,
            fmt,
            mtime=plan.mtime,
            top_name=plan.deployed_name,
            forbidden=forbidden_paths(stack),
            threads=compression_threads(stack, fmt),
            progress=progress,
        )
    finally:
        shutil.rmtree(staged.path, ignore_errors=True)


class DataMeter:
    """Turns the archive writer's byte counts into throttled DataProgress events."""

    def __init__(self, reporter: Reporter, layer: str, total: int) -> None:
        self.reporter = reporter
        self.layer = layer
        self.total = total
        self.done = 0
        self._reported = 0
        self._step = max(total // 200, 1 << 20)
        reporter.report(DataProgress("publish", layer, 0, total))

    def __call__(self, count: int) -> None:
        """Account for ``count`` more bytes read."""
        self.done += count
        if self.done - self._reported >= self._step or self.done >= self.total:
            self._reported = self.done
            self.reporter.report(DataProgress("publish", self.layer, self.done, self.total))


def compression_threads(stack: Stack, fmt: str) -> int:
    """Compression threads per archive.

    zstd: its own workers, the CPUs left over by parallel layers. xz and gz: blocks
    of one archive compressed at once on the pool all archives share (one thread per
    CPU), so the last, largest layer still uses every CPU.
    """
    cores = os.cpu_count() or 1
    if fmt == "zst":
        return max(1, cores // stack.options.worker_count)
    return max(2, 2 * cores // stack.options.worker_count)


def forbidden_paths(stack: Stack) -> list[bytes]:
    """Absolute paths that must never appear inside a shipped file.

    The build folder (with a trailing separator, so only paths *inside* it count);
    skipped for very short build paths, where false alarms would be likely.
    """
    if len(stack.build_dir.parts) < 3:
        return []
    return [(str(stack.build_dir) + "/").encode()]
