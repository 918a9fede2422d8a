"""Only current layers are shipped, and partial selections say what they rely on.

A layer is *current* when its lock is valid for the spec and its build was made from
that lock, from its lower layers' present builds and (applications) from its launch
and support modules as they are now (:func:`venvstacks.engine.building.build_inputs`).
publish and local-export refuse a selected layer that is not current; building or
publishing layers whose lower layers (not selected) are not built or not current is
refused too, unless the caller allows it (``--allow-stale-lower``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from venvstacks.engine.building import build_inputs
from venvstacks.errors import ArchiveError, BuildError
from venvstacks.reporting import Note
from venvstacks.spec.model import LayerSpec

if TYPE_CHECKING:
    from venvstacks.engine.stack import Stack


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
