"""Only current layers are shipped, and partial selections say what they rely on.

A layer is *current* when its lock is valid for the spec and its build was made from
that lock, from its lower layers' present builds and (applications) from its launch
and support modules as they are now (:func:`build_inputs`).
publish and local-export refuse a selected layer that is not current; building or
publishing layers whose lower layers (not selected) are not built or not current is
refused too, unless the caller allows it (``--allow-stale-lower``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from venvstacks.errors import ArchiveError, BuildError
from venvstacks.layers.layout import LayerLayout, layout_for
from venvstacks.layers.modules import modules_hash
from venvstacks.layers.state import build_inputs_hash
from venvstacks.reporting import Note
from venvstacks.spec.model import ApplicationSpec, LayerSpec, RuntimeSpec
from venvstacks.version import tool_version

if TYPE_CHECKING:
    from venvstacks.engine.stack import Stack


def build_inputs(stack: Stack, layer: LayerSpec) -> tuple[str, LayerLayout | None]:
    """The hash of everything a layer's build is made from, and its layout.

    A layer whose stamp holds this hash is current: built from its lock, its lower
    layers' present builds and (applications) its modules as they are now.

    :raises BuildError: when the layer's runtime layer has not been built.
    """
    meta = stack.lock_metadata(layer)
    runtime_meta = stack.lock_metadata(stack.spec.runtime_of(layer))
    assert meta is not None and runtime_meta is not None
    python = stack.python_implementation(layer) or runtime_meta.python_implementation
    folder = stack.build_folder
    inputs: dict[str, Any] = {
        "env_name": layer.env_name,
        "kind": layer.kind,
        "requirements_hash": meta.requirements_hash,
        "python": python,
        "post_install": stack.plugins.implementers("venvstacks_post_install"),
        "linux_target": layer.linux_target,
        "dynlib_exclude": list(layer.dynlib_exclude),
        "tool": tool_version(),
    }
    layout = None
    if not isinstance(layer, RuntimeSpec):
        shape = folder.runtime_shape(stack.spec.runtime_of(layer).env_name)
        if shape is None:
            raise BuildError("its runtime layer has not been built", layer=layer.env_name)
        layout = layout_for(stack.spec, layer, shape)
        inputs["layout"] = layout.config()
        # A lower layer rebuilt from other inputs may ship its libraries elsewhere:
        # the layer's links to them (share/venv/dynlib) must be redone.
        inputs["lower_builds"] = {
            lower.env_name: (folder.read_stamp(lower.env_name) or {}).get("inputs_hash")
            for lower in stack.spec.lower_layers(layer)
        }
        if isinstance(layer, ApplicationSpec):
            inputs["modules"] = modules_hash(
                [layer.launch_module, *layer.support_modules], stack.spec.spec_dir
            )
    return build_inputs_hash(inputs), layout


def stale_reasons(stack: Stack, layers: Sequence[LayerSpec]) -> dict[str, str]:
    """Why each of ``layers`` is not current (layers that are current are absent)."""
    statuses = {s.env_name: s for s in stack.lock_status([x.env_name for x in layers])}
    reasons: dict[str, str] = {}
    for layer in layers:
        status = statuses.get(layer.env_name)
        if status is None or stack.lock_metadata(layer) is None:
            reasons[layer.env_name] = "not locked"
            continue
        if not status.valid:
            reasons[layer.env_name] = f"lock not valid: {status.reason}"
            continue
        try:
            inputs_hash, _ = build_inputs(stack, layer)
        except BuildError:
            reasons[layer.env_name] = "its runtime layer is not built"
            continue
        state = stack.layer_state(layer, inputs_hash)
        if not state.current:
            reasons[layer.env_name] = state.reason
    return reasons


def _listed(reasons: dict[str, str]) -> str:
    return "; ".join(f"{name}: {why}" for name, why in reasons.items())


def _built_here(stack: Stack, layers: Sequence[LayerSpec]) -> list[LayerSpec]:
    platform = stack.options.target_platform
    return [layer for layer in layers if layer.enabled and layer.targets(platform)]


def lower_not_selected(stack: Stack, layers: Sequence[LayerSpec]) -> list[LayerSpec]:
    """The layers the selected ones run on that are not selected themselves."""
    chosen = {layer.env_name for layer in layers}
    below: dict[str, LayerSpec] = {}
    for layer in layers:
        for lower in stack.spec.lower_layers(layer):
            if lower.env_name not in chosen:
                below.setdefault(lower.env_name, lower)
    return [layer for layer in stack.spec.layers() if layer.env_name in below]


def check_lower_layers(
    stack: Stack, layers: Sequence[LayerSpec], *, step: str, allow: bool
) -> None:
    """Refuse (or, when allowed, warn about) lower layers that are stale or unbuilt."""
    reasons = stale_reasons(stack, _built_here(stack, lower_not_selected(stack, layers)))
    if step == "build":
        # An unbuilt lower layer stops the build itself, naming it; here only the
        # built but stale ones matter.
        reasons = {
            name: why
            for name, why in reasons.items()
            if stack.build_folder.read_stamp(name) is not None
        }
    if not reasons:
        return
    text = (
        f"the selected layers run on {len(reasons)} layer(s) that are not current "
        f"({_listed(reasons)})"
    )
    if allow:
        stack.reporter.report(Note("warning", f"{text}; going on (--allow-stale-lower)"))
        return
    raise BuildError(
        f"cannot {step}: {text}",
        layer=next(iter(reasons)) if len(reasons) == 1 else None,
        hint="Include them (--include), rebuild them first, or pass "
        "--allow-stale-lower to go on with them as they are.",
    )


def require_current(
    stack: Stack, layers: Sequence[LayerSpec], *, step: str, allow_stale_lower: bool
) -> None:
    """Refuse to ship a selected layer that is not current (see the module docstring)."""
    targeted = _built_here(stack, layers)
    reasons = stale_reasons(stack, targeted)
    if reasons:
        listed = "; ".join(
            f"{name} is not built from its current lock and inputs ({why})"
            for name, why in reasons.items()
        )
        raise ArchiveError(
            f"cannot {step}: {listed}",
            layer=next(iter(reasons)) if len(reasons) == 1 else None,
            hint="Build first ('venvstacks build', with --lock-if-needed after a spec "
            "change), or run 'venvstacks build --publish'.",
        )
    check_lower_layers(stack, targeted, step=step, allow=allow_stale_lower)
