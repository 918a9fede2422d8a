"""``local-export``'s output target: deployable layer folders, ready to run in place.

Layers are staged straight into the output folder under their deployed names, with
hard links to the build folder where possible (so exporting costs little time or
space: do not modify exported files in place, replace them). The engine runs
``pre_archive`` plugins on each exported folder, then the target runs its
``postinstall.py``.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from venvstacks.errors import DeployError
from venvstacks.export.metadata import MetadataFolder
from venvstacks.export.plan import LayerPlan
from venvstacks.export.stage import POSTINSTALL_NAME, StagedLayer, stage_layer
from venvstacks.export.target import Decision, WrittenKind


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


class FolderTarget:
    """Writes each layer as a ready-to-run folder in ``options.output_dir``."""

    step = "export"
    written: WrittenKind = "exported"

    def __init__(self, options: ExportOptions) -> None:
        self.options = options
        self.output_dir = options.output_dir
        self.force = options.force
        self.dry_run = options.dry_run
        self.metadata = MetadataFolder(options.output_dir)

    def hash_inputs(self) -> dict[str, Any]:
        """Exports differ from archives of the same layer."""
        return {"kind": "export"}

    def decide(self, plan: LayerPlan, inputs_hash: str) -> Decision:
        """Keep an exported folder whose recorded inputs still match."""
        target = self.output_dir / plan.deployed_name
        previous = self.metadata.read_env(plan.env_name)
        unchanged = (
            not self.force
            and previous is not None
            and previous.get("inputs_hash") == inputs_hash
            and target.is_dir()
        )
        return Decision(target, not unchanged, "", inputs_hash, previous)

    def stage(self, plan: LayerPlan, build_dir: Path, staging_root: Path) -> StagedLayer:
        """Stage straight into the output folder (the staged folder is the export)."""
        return stage_layer(
            build_dir, plan.layout, self.output_dir, hardlink=self.options.hardlink
        )

    def write(
        self, plan: LayerPlan, decision: Decision, staged: StagedLayer
    ) -> dict[str, Any]:
        """Run the exported layer's ``postinstall.py``; it adds no metadata."""
        run_postinstall(staged.path)
        return {}

    def cleanup(self, staged: StagedLayer) -> None:
        """Nothing to remove: the staged folder is the output."""

    def detail(self, decision: Decision, outcome: str) -> str:
        """The outcome itself."""
        return outcome

    def planned_metadata(self) -> bool:
        """A dry run reports the metadata already there."""
        return False
