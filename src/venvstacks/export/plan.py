"""What publishing or exporting needs from a built stack, checked before any work."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from venvstacks._injected.schema import BuildStamp
from venvstacks.errors import ArchiveError
from venvstacks.layers.dynlibs import recorded_links
from venvstacks.layers.layout import LayerLayout, layout_for
from venvstacks.layers.state import build_inputs_hash
from venvstacks.spec.model import LayerSpec

if TYPE_CHECKING:
    from venvstacks.engine.stack import Stack


@dataclass(frozen=True)
class LayerPlan:
    """One layer to publish or export, with what it is made from."""

    layer: LayerSpec
    layout: LayerLayout
    build_stamp: BuildStamp
    mtime: int

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


def deployed_names(stack: Stack) -> dict[str, str]:
    """Env name -> deployed name, for every layer of the stack."""
    return {layer.env_name: stack.deployed_name(layer) for layer in stack.spec.layers()}


def plan_layers(stack: Stack, layers: Sequence[LayerSpec]) -> list[LayerPlan]:
    """Plans for the selected layers built for this platform; errors if any is not built.

    A layer counts as built when its build stamp matches its current lock.
    """
    names = deployed_names(stack)
    platform = stack.options.target_platform
    plans: list[LayerPlan] = []
    for layer in layers:
        if not (layer.enabled and layer.targets(platform)):
            continue
        lock = stack.lock_metadata(layer)
        state = stack.build_folder.state(layer.env_name, lock)
        if lock is None or state.stamp is None or not state.current:
            raise ArchiveError(
                "the layer is not built from its current lock",
                layer=layer.env_name,
                hint="Run 'venvstacks build' (or 'venvstacks build --publish') first.",
            )
        runtime = stack.spec.runtime_of(layer)
        shape = stack.build_folder.runtime_shape(runtime.env_name)
        if shape is None:
            raise ArchiveError(
                f"its runtime layer {runtime.env_name} is not built", layer=layer.env_name
            )
        plans.append(
            LayerPlan(
                layer=layer,
                layout=layout_for(stack.spec, layer, shape, names).with_dynlibs(
                    recorded_links(stack.build_folder.env(layer.env_name)), names
                ),
                build_stamp=state.stamp,
                mtime=reproducible_mtime(lock.locked_at),
            )
        )
    return plans
