"""Build stamps: the record that a layer environment is complete and for which inputs.

A stamp lives outside the environment (``BUILD/_state/<env>.json``). It is removed
before an environment is touched and written only after the build succeeded, so an
interrupted or failed build is never mistaken for a good one: the next build sees no
stamp (or other inputs) and redoes the work.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from venvstacks.fsutil import replace_with
from venvstacks.lock.files import sha256_text

STATE_DIR = "_state"
BUILD_FORMAT = 1


def build_inputs_hash(inputs: Mapping[str, Any]) -> str:
    """``sha256:<hex>`` of a build's inputs (canonical JSON)."""
    document = {"format": BUILD_FORMAT, **inputs}
    return sha256_text(json.dumps(document, sort_keys=True, default=str))


@dataclass(frozen=True)
class BuildStamps:
    """The stamps of one build folder."""

    build_dir: Path

    def path(self, env_name: str) -> Path:
        """Where a layer's stamp lives."""
        return self.build_dir / STATE_DIR / f"{env_name}.json"

    def read(self, env_name: str) -> dict[str, Any] | None:
        """A layer's stamp data, or None."""
        try:
            data = json.loads(self.path(env_name).read_text("utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def is_current(self, env_name: str, inputs_hash: str) -> bool:
        """Whether the layer was completely built from exactly these inputs."""
        stamp = self.read(env_name)
        return (
            stamp is not None
            and stamp.get("inputs_hash") == inputs_hash
            and (self.build_dir / env_name).is_dir()
        )

    def invalidate(self, env_name: str) -> None:
        """Forget that a layer is built (before touching its environment)."""
        self.path(env_name).unlink(missing_ok=True)

    def write(self, env_name: str, inputs_hash: str, details: Mapping[str, Any]) -> None:
        """Record a successful build."""
        path = self.path(env_name)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {"inputs_hash": inputs_hash, **details}
        text = json.dumps(data, indent=2, sort_keys=True) + "\n"
        replace_with(path, lambda temp: temp.write_text(text, "utf-8"))
