"""Locking layers with uv: inputs, lock files, validity."""

from __future__ import annotations

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
