"""Locking layers with uv: inputs, lock files, validity."""

from __future__ import annotations

from typing import TYPE_CHECKING

from venvstacks._lazy import lazy_exports

if TYPE_CHECKING:
    from venvstacks.lock.files import LockedPackage, LockFiles, LockMetadata
    from venvstacks.lock.inputs import LockInputs, make_inputs
    from venvstacks.lock.locker import lock_layer
    from venvstacks.lock.request import LockOutcome, LockRequest
    from venvstacks.lock.status import LockStatus, check_lock

__all__ = [
    "LockFiles",
    "LockInputs",
    "LockMetadata",
    "LockOutcome",
    "LockRequest",
    "LockStatus",
    "LockedPackage",
    "check_lock",
    "lock_layer",
    "make_inputs",
]

__getattr__, __dir__ = lazy_exports(
    globals(),
    {
        "LockFiles": "venvstacks.lock.files",
        "LockInputs": "venvstacks.lock.inputs",
        "LockMetadata": "venvstacks.lock.files",
        "LockOutcome": "venvstacks.lock.request",
        "LockRequest": "venvstacks.lock.request",
        "LockStatus": "venvstacks.lock.status",
        "LockedPackage": "venvstacks.lock.files",
        "check_lock": "venvstacks.lock.status",
        "lock_layer": "venvstacks.lock.locker",
        "make_inputs": "venvstacks.lock.inputs",
    },
)
