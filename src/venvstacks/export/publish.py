"""``publish``'s output target: one reproducible archive per layer.

Each layer is staged in the build folder's scratch folder (with deployed names), passed to
``pre_archive`` plugins by the engine, and written as a deterministic archive whose
single top folder is the deployed name. A layer whose inputs did not change since the
last publish into the same folder keeps its archive and build number. Layers are
compressed in parallel threads (the engine's scheduler).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from venvstacks.archive import SUFFIXES, ArchiveFormat, write_archive
from venvstacks.export.bytecode import DEFAULT_BYTECODE, bytecode_mode, ship_bytecode
from venvstacks.export.metadata import MetadataFolder
from venvstacks.export.plan import LayerPlan
from venvstacks.export.stage import StagedLayer, stage_layer
from venvstacks.export.target import Decision, WrittenKind
from venvstacks.fsutil import tree_size
from venvstacks.reporting import DataProgress, Reporter


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


class ArchiveTarget:
    """Writes each layer as an archive in ``options.output_dir`` (``publish``)."""

    step = "publish"
    written: WrittenKind = "archived"
    #: Layers are independent archives: any order.
    lower_first = False

    def __init__(
        self,
        options: PublishOptions,
        *,
        reporter: Reporter,
        build_dir: Path,
        target_platform: str,
        worker_count: int,
    ) -> None:
        self.options = options
        self.output_dir = options.output_dir
        self.force = options.force
        self.dry_run = options.dry_run
        self.reporter = reporter
        self.build_dir = build_dir
        self.platform = target_platform
        self.worker_count = worker_count
        tag = f"-{target_platform}" if options.tag_outputs else ""
        self.metadata = MetadataFolder(options.output_dir, tag)

    def hash_inputs(self) -> dict[str, Any]:
        """Archives differ by format and by whether they ship bytecode."""
        return {
            "format": self.options.fmt,
            "bytecode": bytecode_mode(self.options.bytecode),
        }

    def archive_path(self, plan: LayerPlan, build: int) -> Path:
        """Where build number ``build`` of a layer's archive goes."""
        suffix = SUFFIXES[self.options.fmt]
        if self.options.tag_outputs:
            name = f"{plan.deployed_name}-{self.platform}-{build}{suffix}"
            return self.output_dir / name
        return self.output_dir / f"{plan.deployed_name}{suffix}"

    def decide(self, plan: LayerPlan, inputs_hash: str) -> Decision:
        """Keep the archive when its inputs, name and size still match; else rebuild.

        Build numbers restart at 1 when the lock version changes and advance when
        anything else the archive is made from changes.
        """
        previous = self.metadata.read_env(plan.env_name)
        same_lock = (
            previous is not None and previous.get("lock_version") == plan.lock.lock_version
        )
        last_build = int(previous.get("archive_build", 0)) if previous and same_lock else 0
        if previous is not None and same_lock and not self.force:
            existing = self.archive_path(plan, last_build)
            if (
                previous.get("inputs_hash") == inputs_hash
                and previous.get("archive_name") == existing.name
                and existing.is_file()
                and existing.stat().st_size == previous.get("archive_size")
            ):
                fields = self._fields(existing, last_build)
                return Decision(
                    existing, False, "inputs unchanged", inputs_hash, previous, fields
                )
        if self.force:
            reason = "forced"
        else:
            reason = "first publish" if previous is None else "inputs changed"
        path = self.archive_path(plan, last_build + 1)
        fields = self._fields(path, last_build + 1)
        return Decision(path, True, reason, inputs_hash, previous, fields)

    def _fields(self, path: Path, build: int) -> dict[str, Any]:
        return {
            "archive_build": build,
            "archive_name": path.name,
            "archive_format": self.options.fmt,
            "bytecode": bytecode_mode(self.options.bytecode),
        }

    def stage(self, plan: LayerPlan, build_dir: Path, staging_root: Path) -> StagedLayer:
        """Stage (hard links) under the build folder's staging folder."""
        return stage_layer(build_dir, plan.layout, staging_root)

    def write(
        self, plan: LayerPlan, decision: Decision, staged: StagedLayer
    ) -> dict[str, Any]:
        """Add bytecode (if asked) and write the archive; returns its size and hash."""
        if self.options.bytecode:
            ship_bytecode(self.build_dir, plan.layout, staged.path)
        self.output_dir.mkdir(parents=True, exist_ok=True)
        result = write_archive(
            staged.path,
            decision.path,
            self.options.fmt,
            mtime=plan.mtime,
            top_name=plan.deployed_name,
            forbidden=forbidden_paths(self.build_dir),
            threads=compression_threads(self.worker_count, self.options.fmt),
            progress=DataMeter(self.reporter, plan.env_name, tree_size(staged.path)),
        )
        return {"archive_size": result.size, "archive_hashes": {"sha256": result.sha256}}

    def cleanup(self, staged: StagedLayer) -> None:
        """Remove the staged copy."""
        shutil.rmtree(staged.path, ignore_errors=True)

    def detail(self, decision: Decision, outcome: str) -> str:
        """The archive name when written, else why not."""
        if outcome == self.written:
            return decision.path.name
        return f"{outcome}: {decision.reason}"

    def planned_metadata(self) -> bool:
        """A dry run reports the metadata an archive would get."""
        return True


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


def compression_threads(worker_count: int, fmt: str) -> int:
    """Compression threads per archive.

    zstd: its own workers, the CPUs left over by parallel layers. xz and gz: blocks
    of one archive compressed at once on the pool all archives share (one thread per
    CPU), so the last, largest layer still uses every CPU.
    """
    cores = os.cpu_count() or 1
    if fmt == "zst":
        return max(1, cores // worker_count)
    return max(2, 2 * cores // worker_count)


def forbidden_paths(build_dir: Path) -> list[bytes]:
    """Absolute paths that must never appear inside a shipped file.

    The build folder (with a trailing separator, so only paths *inside* it count);
    skipped for very short build paths, where false alarms would be likely.
    """
    if len(build_dir.parts) < 3:
        return []
    return [(str(build_dir) + "/").encode()]
