"""Whether a layer's existing lock still matches its inputs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

from venvstacks.lock.files import (
    REFERENCE_LOCK_REASON,
    LockFiles,
    LockMetadata,
    sha256_text,
)
from venvstacks.lock.inputs import LockInputs

#: ``reference``: the lock files were written by the reference venvstacks.
LockState: TypeAlias = Literal["valid", "missing", "stale", "modified", "reference"]


@dataclass(frozen=True)
class LockStatus:
    """The state of one layer's lock, with a reason for people."""

    env_name: str
    state: LockState
    reason: str
    metadata: LockMetadata | None
    #: False when only this layer's targets or modules changed: the layers above
    #: stay valid (True for every other invalid state).
    propagates: bool = True

    @property
    def valid(self) -> bool:
        """True when the lock can be used as it is."""
        return self.state == "valid"


def check_lock(inputs: LockInputs, files: LockFiles) -> LockStatus:
    """Compare a layer's lock files with its current inputs."""
    metadata = files.read_meta()
    text = files.read_pylock_text()
    name = inputs.env_name
    if metadata is None and files.read_reference_meta() is not None:
        return LockStatus(name, "reference", REFERENCE_LOCK_REASON, None)
    if metadata is None or text is None:
        return LockStatus(name, "missing", "the layer has not been locked", None)
    if sha256_text(text) != metadata.requirements_hash:
        return LockStatus(
            name, "modified", f"{files.pylock.name} was changed after locking", metadata
        )
    if metadata.lock_input_hash != inputs.digest():
        if metadata.dependency_input_hash == inputs.dependency_digest():
            return LockStatus(
                name,
                "stale",
                "its target platforms, target bounds or (versioned) modules changed",
                metadata,
                propagates=False,
            )
        return LockStatus(
            name,
            "stale",
            "its inputs changed (requirements, plugins, lower layers or uv settings)",
            metadata,
        )
    return LockStatus(name, "valid", "up to date", metadata)
