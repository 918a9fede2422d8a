"""The build folder: every path under ``BUILD/``, the build stamps, and layer state.

Layout (``BUILD`` defaults to ``<spec dir>/_build``)::

    BUILD/<env name>/          a layer environment (runtime, framework or application)
    BUILD/_state/<env>.json    its build stamp (see below)
    BUILD/_lock/               scratch projects uv locks in
    BUILD/_runtimes/           what runtime providers download or unpack (kept)
    BUILD/_staging/            (old runs) layers staged for archiving
    BUILD/.venvstacks-tmp/     every temporary file and staged layer of a run (removed
                               by the next run; see venvstacks.fsutil.scratch_root)

Env names never start with ``_``, so the internal folders cannot clash with layers.

A build stamp lives outside the environment. It is removed before an environment is
touched and written only after the build succeeded, so an interrupted or failed build
is never mistaken for a good one: the next build sees no stamp (or other inputs) and
redoes the work. :meth:`BuildFolder.state` is the one answer to "is this layer locked,
built, and built from what it should be built from?".
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from venvstacks._injected.schema import BuildStamp
from venvstacks.fsutil import replace_with
from venvstacks.layers.layout import RuntimeShape, read_runtime_shape
from venvstacks.lock.files import LockMetadata

#: The build folder's name next to the spec, unless ``--build-dir`` says otherwise.
DEFAULT_BUILD_DIR_NAME = "_build"

STATE_DIR = "_state"
LOCK_WORK_DIR = "_lock"
RUNTIMES_DIR = "_runtimes"
STAGING_DIR = "_staging"


def default_build_dir(spec_dir: Path) -> Path:
    """The build folder of a spec in ``spec_dir`` when none is given."""
    return spec_dir / DEFAULT_BUILD_DIR_NAME


@dataclass(frozen=True)
class LayerState:
    """Where one layer stands in the build folder.

    :ivar locked: the layer has lock metadata.
    :ivar built: a complete build of the layer exists (stamp and environment).
    :ivar current: it is built from its current lock (and, when the caller gave the
        build inputs, from exactly those inputs).
    :ivar reason: a short explanation for people.
    :ivar stamp: the build stamp, when there is one.
    """

    env_name: str
    locked: bool
    built: bool
    current: bool
    reason: str
    stamp: BuildStamp | None = None


@dataclass(frozen=True)
class BuildFolder:
    """One build folder (an absolute path)."""

    root: Path

    def env(self, env_name: str) -> Path:
        """A layer's environment folder."""
        return self.root / env_name

    @property
    def lock_work(self) -> Path:
        """Where uv lock projects are written while locking."""
        return self.root / LOCK_WORK_DIR

    @property
    def runtimes(self) -> Path:
        """Where runtime providers may download or unpack (kept between runs)."""
        return self.root / RUNTIMES_DIR

    @property
    def staging(self) -> Path:
        """Where layers are staged before archiving."""
        return self.root / STAGING_DIR

    def runtime_shape(self, env_name: str) -> RuntimeShape | None:
        """The shape of a built runtime layer (None when it is not built)."""
        return read_runtime_shape(self.env(env_name))

    # -- build stamps ------------------------------------------------------------------

    @property
    def state_dir(self) -> Path:
        """The folder of build stamps."""
        return self.root / STATE_DIR

    def stamp_path(self, env_name: str) -> Path:
        """Where a layer's build stamp lives."""
        return self.state_dir / f"{env_name}.json"

    def read_stamp(self, env_name: str) -> BuildStamp | None:
        """A layer's build stamp, or None."""
        try:
            data = json.loads(self.stamp_path(env_name).read_text("utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or not isinstance(data.get("inputs_hash"), str):
            return None
        stamp: BuildStamp = data  # type: ignore[assignment]
        return stamp

    def invalidate(self, env_name: str) -> None:
        """Forget that a layer is built (before touching its environment)."""
        self.stamp_path(env_name).unlink(missing_ok=True)

    def write_stamp(
        self, env_name: str, inputs_hash: str, details: Mapping[str, Any]
    ) -> None:
        """Record a successful build of a layer from ``inputs_hash``."""
        path = self.stamp_path(env_name)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {**details, "inputs_hash": inputs_hash}
        text = json.dumps(data, indent=2, sort_keys=True) + "\n"
        replace_with(path, lambda temp: temp.write_text(text, "utf-8"))

    # -- layer state --------------------------------------------------------------------

    def state(
        self, env_name: str, lock: LockMetadata | None, inputs_hash: str | None = None
    ) -> LayerState:
        """Locked? built? current? for a layer with lock metadata ``lock``.

        ``inputs_hash`` (the hash of everything a build is made from) makes "current"
        also require that the build used exactly those inputs.
        """
        stamp = self.read_stamp(env_name)
        built = stamp is not None and self.env(env_name).is_dir()
        if lock is None:
            return LayerState(env_name, False, built, False, "not locked", stamp)
        if stamp is None or not built:
            return LayerState(env_name, True, False, False, "not built", stamp)
        if stamp.get("requirements_hash") != lock.requirements_hash:
            reason = "built from another lock"
            return LayerState(env_name, True, True, False, reason, stamp)
        if inputs_hash is not None and stamp.get("inputs_hash") != inputs_hash:
            reason = "its build inputs changed"
            return LayerState(env_name, True, True, False, reason, stamp)
        return LayerState(env_name, True, True, True, "up to date", stamp)
