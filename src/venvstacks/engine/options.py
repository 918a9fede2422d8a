"""Engine options shared by every command."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from venvstacks.errors import UsageError
from venvstacks.runtimes.model import RUNTIME_SOURCES as RUNTIME_SOURCES
from venvstacks.runtimes.model import RuntimeSource as RuntimeSource
from venvstacks.spec.model import host_platform


def runtime_source(value: str) -> RuntimeSource:
    """Validate a ``--runtime-source`` value."""
    if value not in RUNTIME_SOURCES:
        raise UsageError(
            f"unknown runtime source {value!r}",
            hint=f"Use one of: {', '.join(RUNTIME_SOURCES)}.",
        )
    return value


@dataclass(frozen=True)
class EngineOptions:
    """How the engine runs; none of these change what a lock means.

    :ivar build_dir: where layer environments are built (default ``<spec dir>/_build``).
    :ivar runtime_source: where runtime layers come from: ``auto`` (an installed
        interpreter if one matches, else a download), ``local`` or ``download``.
    :ivar local_wheels: extra folders of wheels (uv ``find-links``).
    :ivar index: query the configured package indexes (False: ``--no-index``).
    :ivar uv_cache_dir: uv's cache folder (None: uv's default or ``UV_CACHE_DIR``).
    :ivar jobs: layers processed at the same time (None: the number of CPUs).
    :ivar target_platform: the platform layers are built for (this machine's).
    :ivar wait: when another command holds the build or output folder, wait for it
        (False: fail at once with :class:`~venvstacks.errors.BusyError`).
    :ivar allow_stale_lower: build or publish layers even when layers below them
        (not selected) are not built or not current; a warning instead of an error.
    """

    build_dir: Path | None = None
    runtime_source: RuntimeSource = "auto"
    local_wheels: tuple[Path, ...] = ()
    index: bool = True
    uv_cache_dir: Path | None = None
    jobs: int | None = None
    target_platform: str = field(default_factory=host_platform)
    wait: bool = True
    allow_stale_lower: bool = False

    @property
    def worker_count(self) -> int:
        """How many layers to process at once."""
        return max(1, self.jobs if self.jobs else (os.cpu_count() or 1))
