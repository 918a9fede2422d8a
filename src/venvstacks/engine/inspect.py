"""What ``show`` reports: each layer's spec, lock and build state, as plain data."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from venvstacks.spec.model import ApplicationSpec, LayeredSpec, RuntimeSpec

if TYPE_CHECKING:
    from venvstacks.engine.stack import Stack


def describe_stack(stack: Stack, include: Sequence[str] = ()) -> dict[str, Any]:
    """A JSON-ready description of the selected layers."""
    statuses = {s.env_name: s for s in stack.lock_status(include)}
    layers = []
    for layer in stack.select(include):
        status = statuses.get(layer.env_name)
        metadata = status.metadata if status else None
        entry: dict[str, Any] = {
            "name": layer.name,
            "env_name": layer.env_name,
            "kind": layer.kind,
            "install_target": stack.deployed_name(layer, metadata),
            "versioned": layer.versioned,
            "platforms": list(layer.platforms),
            "builds_here": layer.targets(stack.options.target_platform),
            "requirements": list(layer.requirements),
        }
        if isinstance(layer, RuntimeSpec):
            entry["python_implementation"] = str(layer.python_implementation)
        if isinstance(layer, LayeredSpec):
            entry["runtime"] = layer.runtime
            entry["frameworks"] = list(layer.frameworks)
            entry["lower_layers"] = [x.env_name for x in stack.spec.lower_layers(layer)]
        if isinstance(layer, ApplicationSpec):
            entry["launch_module"] = layer.launch_module_name
            entry["support_modules"] = [p.name for p in layer.support_modules]
        entry["lock"] = {
            "state": status.state if status else "disabled",
            "reason": status.reason if status else "the layer targets no platform",
            "lock_version": metadata.lock_version if metadata else None,
            "locked_at": metadata.locked_at if metadata else None,
            "resolved_python": metadata.python_implementation if metadata else None,
        }
        entry["built"] = stack.layer_state(layer).current
        layers.append(entry)
    return {
        "spec": str(stack.spec.path),
        "build_dir": str(stack.build_dir),
        "target_platform": stack.options.target_platform,
        "layers": layers,
    }
