"""The stack status ``show`` and ``--show`` report, as plain JSON-ready data.

The structure is the reference venvstacks 0.8 one::

    {"spec_name": str,
     "runtimes" | "frameworks" | "applications": [
        {"name": env name, "install_target": deployed name ("name@???" while a
         versioned layer has no valid lock), "has_valid_lock": bool,
         "selected_operations": [..] or null, "dependencies": [..] (layered only)}]}

Our own additions sit inside it: a ``venvstacks`` table at the top (build folder,
target platform) and, per layer, ``kind``, ``lock`` (state and reason), ``built`` and
the layer's spec fields.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from venvstacks.engine.selection import OperationPlan
from venvstacks.lock.status import LockStatus
from venvstacks.spec.model import ApplicationSpec, LayeredSpec, LayerSpec, RuntimeSpec

if TYPE_CHECKING:
    from venvstacks.engine.stack import Stack

_GROUPS = {"runtime": "runtimes", "framework": "frameworks", "application": "applications"}


def stack_status(
    stack: Stack,
    plan: OperationPlan,
    *,
    report_ops: bool = True,
    include_deps: bool = False,
) -> dict[str, Any]:
    """The status of the layers in ``plan`` (with their operations if ``report_ops``)."""
    statuses = {s.env_name: s for s in stack.lock_status()}
    result: dict[str, Any] = {
        "spec_name": str(stack.spec.path),
        "runtimes": [],
        "frameworks": [],
        "applications": [],
        "venvstacks": {
            "build_dir": str(stack.build_dir),
            "target_platform": stack.options.target_platform,
        },
    }

    def brief(layer: LayerSpec) -> dict[str, Any]:
        status = statuses.get(layer.env_name)
        valid = status is not None and status.valid
        if layer.versioned and not valid:
            target = f"{layer.env_name}@???"
        else:
            target = stack.deployed_name(layer, status.metadata if status else None)
        return {
            "name": layer.env_name,
            "install_target": target,
            "has_valid_lock": valid,
            "selected_operations": None,
        }

    for ops in plan.layers:
        layer = stack.spec.layer(ops.env_name)
        entry = brief(layer)
        if report_ops:
            entry["selected_operations"] = ops.labels()
        if include_deps and isinstance(layer, LayeredSpec):
            entry["dependencies"] = [brief(x) for x in _dependencies(stack, layer)]
        entry.update(_details(stack, layer, statuses.get(layer.env_name)))
        result[_GROUPS[layer.kind]].append(entry)
    return result


def _dependencies(stack: Stack, layer: LayeredSpec) -> list[LayerSpec]:
    """Frameworks (linearised) first, then the runtime, as the reference lists them."""
    lower = stack.spec.lower_layers(layer)
    return [x for x in lower if x.kind != "runtime"] + [
        x for x in lower if x.kind == "runtime"
    ]


def _details(stack: Stack, layer: LayerSpec, status: LockStatus | None) -> dict[str, Any]:
    metadata = status.metadata if status else None
    entry: dict[str, Any] = {
        "kind": layer.kind,
        "layer_name": layer.name,
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
    entry["built"] = stack.build_folder.state(layer.env_name, metadata).current
    return entry
