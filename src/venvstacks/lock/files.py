"""The lock files of one layer in ``<spec dir>/requirements/<env name>/``.

- ``requirements-<env>.in``: the requirements that were locked (after plugins)
- ``pylock.<env>.toml``: the PEP 751 lock of what this layer installs (``.`` in the
  env name becomes ``_``, as PEP 751 requires)
- ``pylock.<env>.meta.json``: lock metadata (hashes, lock version, lock time, runtime)
- ``packages-<env>.txt``: a short human-readable summary
- ``uv.lock``: uv's universal resolution, kept so relocking keeps existing pins
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from venvstacks._injected.schema import InheritedEntry, LockMetadataFile
from venvstacks.errors import LockError

__all__ = [
    "LOCK_FORMAT",
    "REFERENCE_LOCK_REASON",
    "InheritedPackage",
    "LockFiles",
    "LockMetadata",
    "LockedPackage",
    "parse_pylock_packages",
    "sha256_text",
]

#: Bumped when the meaning of the lock metadata changes incompatibly.
LOCK_FORMAT = 1

#: How a lock written by the reference venvstacks is reported.
REFERENCE_LOCK_REASON = (
    "written by the reference implementation; relock with `venvstacks lock`"
)


def sha256_text(text: str) -> str:
    """``sha256:<hex>`` of UTF-8 text."""
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class LockedPackage:
    """One package entry of a pylock file."""

    name: str
    version: str
    marker: str | None = None

    def pin(self) -> str:
        """``name==version`` with the marker, usable as a uv constraint."""
        pin = f"{self.name}=={self.version}"
        return f"{pin} ; {self.marker}" if self.marker else pin


@dataclass(frozen=True)
class InheritedPackage:
    """A package this layer uses but a lower layer installs."""

    name: str
    version: str
    layer: str


@dataclass
class LockMetadata:
    """The contents of ``pylock.<env>.meta.json``."""

    lock_input_hash: str
    requirements_hash: str
    lock_version: int
    locked_at: str
    python_implementation: str
    runtime_source: str = ""
    inherited: list[InheritedEntry] = field(default_factory=list)
    lock_format: int = LOCK_FORMAT
    #: Hash of the inputs upper layers depend on (empty in older locks).
    dependency_input_hash: str = ""
    #: Hash of the inputs that only version a versioned layer.
    version_input_hash: str = ""

    def to_data(self) -> LockMetadataFile:
        """The file content, as :class:`venvstacks._injected.schema.LockMetadataFile`."""
        data: LockMetadataFile = asdict(self)  # type: ignore[assignment]
        return data

    def to_json(self) -> str:
        """Stable JSON text (sorted keys, trailing newline)."""
        return json.dumps(self.to_data(), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> LockMetadata:
        """Parse metadata; raises ValueError/KeyError/TypeError on bad content."""
        data: dict[str, Any] = json.loads(text)
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})

    def inherited_packages(self) -> list[InheritedPackage]:
        """The inherited packages as objects."""
        return [InheritedPackage(**entry) for entry in self.inherited]


@dataclass(frozen=True)
class LockFiles:
    """Paths of one layer's lock files."""

    env_name: str
    folder: Path

    @classmethod
    def for_layer(cls, requirements_dir: Path, env_name: str) -> LockFiles:
        """The lock files of a layer under a requirements folder."""
        return cls(env_name, requirements_dir / env_name)

    @property
    def _stem(self) -> str:
        return self.env_name.replace(".", "_")

    @property
    def pylock(self) -> Path:
        """The PEP 751 lock file."""
        return self.folder / f"pylock.{self._stem}.toml"

    @property
    def meta(self) -> Path:
        """The lock metadata file."""
        return self.folder / f"pylock.{self._stem}.meta.json"

    @property
    def requirements_in(self) -> Path:
        """The locked requirements (input) file."""
        return self.folder / f"requirements-{self.env_name}.in"

    @property
    def summary(self) -> Path:
        """The human-readable package summary."""
        return self.folder / f"packages-{self.env_name}.txt"

    @property
    def uv_lock(self) -> Path:
        """uv's own lock file, kept for stable relocking."""
        return self.folder / "uv.lock"

    def read_meta(self) -> LockMetadata | None:
        """The lock metadata, or None when missing or unreadable."""
        try:
            return LockMetadata.from_json(self.meta.read_text("utf-8"))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def read_reference_meta(self) -> dict[str, Any] | None:
        """Lock metadata written by the reference venvstacks, if that is what is here.

        The reference's ``pylock.<env>.meta.json`` has ``lock_input_hash``,
        ``other_inputs_hash`` and ``version_inputs_hash`` but none of our fields; its
        hashes are of different inputs, so such a lock is recognised, never trusted.
        """
        try:
            data = json.loads(self.meta.read_text("utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or "lock_format" in data:
            return None
        if "other_inputs_hash" in data or "version_inputs_hash" in data:
            return data
        return None

    def read_pylock_text(self) -> str | None:
        """The pylock file's text, or None when missing."""
        try:
            return self.pylock.read_text("utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    def read_packages(self) -> list[LockedPackage]:
        """The packages listed in the pylock file (what this layer installs)."""
        text = self.read_pylock_text()
        if text is None:
            raise LockError(
                f"lock file {self.pylock} is missing",
                layer=self.env_name,
                hint="Run 'venvstacks lock'.",
            )
        return parse_pylock_packages(text, self.env_name)


def parse_pylock_packages(text: str, env_name: str) -> list[LockedPackage]:
    """The ``[[packages]]`` of pylock text."""
    try:
        document = tomllib.loads(text)
        return [
            LockedPackage(entry["name"], str(entry["version"]), entry.get("marker"))
            for entry in document.get("packages", [])
        ]
    except (tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
        raise LockError(
            f"the lock file is not a valid pylock.toml file: {exc}",
            layer=env_name,
            hint="Relock the layer ('venvstacks lock --reset-lock ...').",
        ) from None
