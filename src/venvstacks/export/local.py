"""``local-export``'s output target: deployable layer folders, ready to run in place.

Layers are staged in the output folder's scratch folder, with hard links to the build
folder where possible (so exporting costs little time or space: do not modify
exported files in place, replace them); the engine runs ``pre_archive`` plugins on
them; the target renames each into place under its deployed name and runs its
``postinstall.py`` (lower layers first: postinstall links a layer to them).
"""

from __future__ import annotations

import os
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
from venvstacks.fsutil import remove_path, temp_path

#: The output folder's staging folder (for exported layers not yet in place).
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


class FolderTarget:
    """Writes each layer as a ready-to-run folder in ``options.output_dir``."""

    step = "export"
    written: WrittenKind = "exported"
    #: Lower layers are written first (a layer's postinstall.py needs them).
    lower_first = True

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
        """Stage in the output folder's scratch folder.

        The layer's old metadata goes first: an export interrupted half-way is then
        redone by the next run, never trusted.
        """
        self.metadata.forget_env(plan.env_name)
        return stage_layer(
            build_dir,
            plan.layout,
            temp_path(self.output_dir / STAGING_DIR),
            hardlink=self.options.hardlink,
        )

    def write(
        self, plan: LayerPlan, decision: Decision, staged: StagedLayer
    ) -> dict[str, Any]:
        """Rename the staged layer into place and run its ``postinstall.py``."""
        remove_path(decision.path)
        os.replace(staged.path, decision.path)
        run_postinstall(decision.path)
        return {}

    def cleanup(self, staged: StagedLayer) -> None:
        """Remove what is left of the staged layer (after a failure)."""
        remove_path(staged.path)

    def detail(self, decision: Decision, outcome: str) -> str:
        """The outcome itself."""
        return outcome

    def planned_metadata(self) -> bool:
        """A dry run reports the metadata already there."""
        return False
