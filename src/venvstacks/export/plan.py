"""What publishing or exporting one layer is made from (worked out by the engine)."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from venvstacks._injected.schema import BuildStamp
from venvstacks.layers.layout import LayerLayout
from venvstacks.layers.state import build_inputs_hash
from venvstacks.lock.files import LockMetadata
from venvstacks.spec.model import LayerSpec


@dataclass(frozen=True)
class LayerPlan:
    """One built layer to publish or export, with what it is made from.

    :ivar layout: its layout under deployed names (with its dynlib links).
    :ivar build_stamp: the stamp of its current build.
    :ivar mtime: the time stamp every archive entry gets.
    :ivar lock: its lock metadata; ``runtime_lock`` its runtime layer's.
    :ivar env_dir: its environment in the build folder.
    :ivar python_implementation: ``cpython@X.Y.Z`` the layer runs on.
    """

    layer: LayerSpec
    layout: LayerLayout
    build_stamp: BuildStamp
    mtime: int
    lock: LockMetadata
    runtime_lock: LockMetadata
    env_dir: Path
    python_implementation: str

    @property
    def env_name(self) -> str:
        """The layer's env name."""
        return self.layer.env_name

    @property
    def deployed_name(self) -> str:
        """The folder name the layer deploys as."""
        return self.layout.folder_name

    def inputs_hash(self, **extra: Any) -> str:
        """Hash of everything the output is made from (plus ``extra``)."""
        return build_inputs_hash(
            {
                "build": self.build_stamp.get("inputs_hash"),
                "layout": self.layout.config(),
                "deployed_name": self.deployed_name,
                "mtime": self.mtime,
                **extra,
            }
        )


def reproducible_mtime(locked_at: str) -> int:
    """The timestamp every archive entry gets: ``SOURCE_DATE_EPOCH`` or the lock time."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return int(epoch)
    stamp = dt.datetime.fromisoformat(locked_at)
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.UTC)
    return int(stamp.timestamp())
