"""Explaining why uv could not lock a layer, in terms of layers.

When a layer with lower layers fails to lock, it is locked once more without the
lower layers' pins. If that works, the conflict is with what lower layers provide,
and the hint names the packages and versions; if it fails too, the layer's own
requirements conflict.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.utils import canonicalize_name

from venvstacks.errors import LockError
from venvstacks.lock.request import LockRequest, pyproject_text, uv_lock_args
from venvstacks.reporting import Reporter
from venvstacks.uvtool import UvSettings, run_uv


def _resolved_versions(uv_lock: Path) -> dict[str, set[str]]:
    try:
        document = tomllib.loads(uv_lock.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return {}
    versions: dict[str, set[str]] = {}
    for package in document.get("package", []):
        if "name" in package and "version" in package:
            name = canonicalize_name(package["name"])
            versions.setdefault(name, set()).add(str(package["version"]))
    return versions


def _wheels_hint(request: LockRequest, lowered: str) -> str | None:
    if "no usable wheels" in lowered or "compatible wheels" in lowered:
        return (
            "Layers install wheels only (no-build): require a version with wheels for "
            f"Python {request.inputs.python_minor}, provide one with --local-wheels, or "
            "allow source builds with no-build = false in [tool.uv]."
        )
    return None


def diagnose_failure(
    request: LockRequest, reason: str, uv: UvSettings, reporter: Reporter
) -> LockError:
    """The LockError for a failed ``uv lock`` of a layer, with the likeliest cause."""
    inputs = request.inputs
    message = f"uv could not lock the layer: {reason}"
    hint = _wheels_hint(request, reason.lower())
    if hint is None and inputs.constraints:
        hint = _lower_layer_hint(request, uv, reporter)
    return LockError(
        message, layer=inputs.env_name, hint=hint or "Check the layer's requirements."
    )


def _lower_layer_hint(request: LockRequest, uv: UvSettings, reporter: Reporter) -> str:
    inputs = request.inputs
    project = request.work_dir / f"{inputs.env_name}.unpinned"
    project.mkdir(parents=True, exist_ok=True)
    (project / "uv.lock").unlink(missing_ok=True)
    (project / "pyproject.toml").write_text(
        pyproject_text(request, lower_pins=False), "utf-8"
    )
    result = run_uv(
        uv_lock_args(project, request.python), uv, reporter=reporter, layer=inputs.env_name
    )
    if not result.ok:
        return "The layer's own requirements conflict (lower layers are not involved)."
    wanted = _resolved_versions(project / "uv.lock")
    clashes = []
    for name, provided in sorted(inputs.provided.items()):
        versions = wanted.get(name)
        if versions and provided.version not in versions:
            needed = " or ".join(sorted(versions))
            clashes.append(
                f"{name} {needed} (but {provided.layer} provides {provided.version})"
            )
    if not clashes:
        return (
            "The layer only fails to lock together with the packages its lower layers "
            "provide; relax its requirements or change the lower layers."
        )
    return (
        "Alone, the layer would use " + "; ".join(clashes[:5]) + ". A package a lower "
        "layer provides is shared, never installed again: change the requirement or "
        "the lower layer."
    )
