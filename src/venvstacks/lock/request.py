"""What locking one layer takes: the request, the uv project it becomes, the outcome."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w
from packaging.utils import canonicalize_name

from venvstacks.lock.files import LockedPackage, LockFiles, LockMetadata
from venvstacks.lock.inputs import LockInputs


@dataclass(frozen=True)
class LockRequest:
    """Everything needed to lock one layer."""

    inputs: LockInputs
    files: LockFiles
    work_dir: Path
    #: ``cpython@X.Y.Z`` of the layer's runtime (resolved for runtime layers).
    python_implementation: str
    runtime_source: str
    versioned: bool
    exclude_newer: dt.datetime | None
    reset: bool = False
    #: The interpreter uv locks with (it must be of the runtime's version).
    python: Path | None = None
    find_links: tuple[Path, ...] = ()
    no_index: bool = False


@dataclass(frozen=True)
class LockOutcome:
    """What locking a layer did."""

    env_name: str
    changed: bool
    metadata: LockMetadata
    packages: tuple[LockedPackage, ...]


def uv_lock_args(project: Path, python: Path | None) -> list[str]:
    """Arguments of ``uv lock`` for a layer project."""
    args = ["lock", "--directory", str(project)]
    return [*args, "--python", str(python)] if python is not None else args


def pyproject_text(request: LockRequest, *, lower_pins: bool = True) -> str:
    """The layer's uv project file (``lower_pins=False`` leaves out lower layers)."""
    inputs = request.inputs
    uv_table: dict[str, Any] = dict(inputs.uv_settings)
    user_constraints = list(uv_table.get("constraint-dependencies", []))
    pins = list(inputs.constraints) if lower_pins else []
    uv_table["constraint-dependencies"] = [*user_constraints, *pins]
    if request.find_links:
        links = list(uv_table.get("find-links", []))
        uv_table["find-links"] = [*links, *(str(p) for p in request.find_links)]
    if request.no_index:
        uv_table["no-index"] = True
    document = {
        "project": {
            "name": "venvstacks-layer-"
            + canonicalize_name(inputs.env_name.replace("@", "-").replace("+", "-")),
            "version": "0",
            "requires-python": f"=={inputs.python_minor}.*",
            "dependencies": list(inputs.requirements),
        },
        "tool": {"uv": uv_table},
    }
    return tomli_w.dumps(document)
