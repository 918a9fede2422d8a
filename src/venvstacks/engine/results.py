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
