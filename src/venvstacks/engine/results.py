"""Typed results the engine returns to its front doors."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeAlias

LockOutcomeKind: TypeAlias = Literal["locked", "updated", "unchanged", "skipped"]
BuildOutcomeKind: TypeAlias = Literal["built", "unchanged", "skipped"]


@dataclass(frozen=True)
class LayerLockResult:
    """What ``lock`` did to one layer.

    ``outcome``: ``locked`` (first lock), ``updated`` (lock content changed),
    ``unchanged`` (same content; files untouched), ``skipped`` (valid lock kept
    because of ``if_needed``, or the layer is disabled).
    """

    env_name: str
    outcome: LockOutcomeKind
    lock_version: int
    locked_at: str
    python_implementation: str
    pylock: Path
    seconds: float
    reason: str = ""


@dataclass(frozen=True)
class LockReport:
    """The result of locking a selection of layers."""

    layers: tuple[LayerLockResult, ...]

    @property
    def changed(self) -> tuple[str, ...]:
        """Env names whose lock was created or changed."""
        return tuple(r.env_name for r in self.layers if r.outcome in ("locked", "updated"))


@dataclass(frozen=True)
class LayerBuildResult:
    """What ``build`` did to one layer (``skipped``: not built for this platform)."""

    env_name: str
    outcome: BuildOutcomeKind
    env_path: Path
    seconds: float
    reason: str = ""


@dataclass(frozen=True)
class BuildReport:
    """The result of building a selection of layers."""

    layers: tuple[LayerBuildResult, ...]
    locks: LockReport | None = None

    @property
    def built(self) -> tuple[str, ...]:
        """Env names that were (re)built."""
        return tuple(r.env_name for r in self.layers if r.outcome == "built")

    @property
    def nothing_to_do(self) -> bool:
        """True when every selected layer was already up to date."""
        return not self.built and (self.locks is None or not self.locks.changed)


PublishOutcomeKind: TypeAlias = Literal["archived", "unchanged", "planned", "exported"]


@dataclass(frozen=True)
class LayerPublishResult:
    """What ``publish`` (or ``local_export``) did with one layer.

    ``outcome``: ``archived``/``exported`` (written now), ``unchanged`` (the existing
    output already matches its inputs), ``planned`` (dry run: would be written).
    ``path`` is the archive (publish) or the exported folder (local export).
    """

    env_name: str
    deployed_name: str
    outcome: PublishOutcomeKind
    path: Path
    metadata: dict[str, object]
    seconds: float
    reason: str = ""


@dataclass(frozen=True)
class PublishReport:
    """The result of publishing or exporting a selection of layers."""

    layers: tuple[LayerPublishResult, ...]
    output_dir: Path
    manifest: Path | None
    dry_run: bool = False

    @property
    def written(self) -> tuple[str, ...]:
        """Env names whose archive or export was written in this run."""
        return tuple(
            r.env_name for r in self.layers if r.outcome in ("archived", "exported")
        )
