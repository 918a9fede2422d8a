"""The two outputs of the publishing pipeline: archives (publish) and folders (export).

The engine runs one pipeline for both (:mod:`venvstacks.engine.publishing`): plan the
built layers, hash what each output would be made from, let the target decide what
to (re)write, stage, fire ``pre_archive``, let the target write, record metadata. A
target only knows its own output; it never sees the engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol, TypeAlias

from venvstacks.export.metadata import MetadataFolder
from venvstacks.export.plan import LayerPlan
from venvstacks.export.stage import StagedLayer

#: What a target did: ``archived``/``exported`` are written now.
WrittenKind: TypeAlias = Literal["archived", "exported"]


@dataclass(frozen=True)
class Decision:
    """What a target will do with one layer.

    :ivar path: the output (archive file or layer folder).
    :ivar rewrite: whether it must be written (else it already matches its inputs).
    :ivar reason: why, for people (may be empty).
    :ivar inputs_hash: hash of everything the output is made from.
    :ivar previous: the layer's metadata already in the output folder, if any.
    :ivar fields: metadata fields the target adds whether or not it writes.
    """

    path: Path
    rewrite: bool
    reason: str
    inputs_hash: str
    previous: dict[str, Any] | None
    fields: dict[str, Any] = field(default_factory=dict)


class OutputTarget(Protocol):
    """Where and how built layers are written (see the module docstring)."""

    #: The step name in reporter events: ``publish`` or ``export``.
    step: str
    #: What a written layer's outcome is called.
    written: WrittenKind
    #: Whether a layer is only written once its lower layers are.
    lower_first: bool
    output_dir: Path
    force: bool
    dry_run: bool
    metadata: MetadataFolder

    def hash_inputs(self) -> dict[str, Any]:
        """What the target adds to every layer's inputs hash."""

    def decide(self, plan: LayerPlan, inputs_hash: str) -> Decision:
        """Whether a layer's output must be (re)written, and where."""

    def stage(self, plan: LayerPlan, build_dir: Path, staging_root: Path) -> StagedLayer:
        """Stage a layer for writing (``pre_archive`` plugins run on the result)."""

    def write(
        self, plan: LayerPlan, decision: Decision, staged: StagedLayer
    ) -> dict[str, Any]:
        """Write a staged layer's output; returns the metadata fields it adds."""

    def cleanup(self, staged: StagedLayer) -> None:
        """Called after :meth:`write` (or a failure) with the staged layer."""

    def detail(self, decision: Decision, outcome: str) -> str:
        """The detail text of the layer's finished step."""

    def planned_metadata(self) -> bool:
        """Whether a dry run reports the metadata a layer would get (else the old)."""
