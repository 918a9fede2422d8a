"""What a check looks at and what it returns."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeAlias

from venvstacks._injected.schema import LAYER_CONFIG_PATH

CheckStatus: TypeAlias = Literal["passed", "failed", "skipped"]

#: Every built-in check, in the order they are reported.
CHECK_NAMES: tuple[str, ...] = (
    "lock",
    "build",
    "imports",
    "launch",
    "dynlib",
    "isolated",
    "reproducible",
    "relocatable",
)

#: Seconds a check's subprocess may run before it counts as hung.
SUBPROCESS_TIMEOUT = 600


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check on one layer.

    :ivar message: one paragraph for people: what failed and what to do (or a note).
    :ivar details: what the check looked at, one line each (shown with ``-v``).
    :ivar cause: for a failure, the short cause (e.g. ``"build"`` when the layer's other
        checks could not run because it did not build).
    """

    check: str
    layer: str
    status: CheckStatus
    message: str = ""
    details: tuple[str, ...] = ()
    cause: str = ""

    @property
    def ok(self) -> bool:
        """True unless the check failed."""
        return self.status != "failed"

    def as_json(self) -> dict[str, object]:
        """A JSON-ready dict."""
        return {
            "layer": self.layer,
            "check": self.check,
            "status": self.status,
            "message": self.message,
            "details": list(self.details),
            "cause": self.cause,
        }


def passed(
    check: str, layer: str, message: str = "", details: Sequence[str] = ()
) -> CheckResult:
    """A passed result."""
    return CheckResult(check, layer, "passed", message, tuple(details))


def failed(
    check: str, layer: str, message: str, details: Sequence[str] = (), cause: str = ""
) -> CheckResult:
    """A failed result."""
    return CheckResult(check, layer, "failed", message, tuple(details), cause)


def skipped(check: str, layer: str, message: str) -> CheckResult:
    """A skipped result (the check does not apply to this layer)."""
    return CheckResult(check, layer, "skipped", message)


@dataclass(frozen=True)
class LayerFolder:
    """A layer folder (built or deployed) among its siblings.

    :ivar root: the folder holding the layers side by side.
    :ivar folder_name: this layer's folder in ``root``.
    :ivar lower: folder names of the layers it runs on (runtime last).
    :ivar support_modules: module names copied in with an application's launch module.
    """

    env_name: str
    kind: str
    root: Path
    folder_name: str
    python: str
    site_dir: str
    lower: tuple[str, ...] = ()
    launch_module: str | None = None
    support_modules: tuple[str, ...] = field(default=())

    @property
    def path(self) -> Path:
        """The layer folder."""
        return self.root / self.folder_name

    @property
    def interpreter(self) -> Path:
        """The layer's Python."""
        return self.path / self.python

    @property
    def site_path(self) -> Path:
        """The layer's own site-packages folder."""
        return self.path / self.site_dir

    @property
    def stack_folders(self) -> tuple[Path, ...]:
        """This layer's folder and those of its lower layers."""
        return (self.path, *(self.root / name for name in self.lower))

    def moved_to(self, root: Path) -> LayerFolder:
        """The same layer in another folder of layers."""
        return LayerFolder(
            self.env_name,
            self.kind,
            root,
            self.folder_name,
            self.python,
            self.site_dir,
            self.lower,
            self.launch_module,
            self.support_modules,
        )

    @classmethod
    def read(
        cls,
        path: Path,
        env_name: str,
        kind: str,
        support_modules: Sequence[str] = (),
    ) -> LayerFolder:
        """Describe a layer folder from its ``venvstacks_layer.json``."""
        config = json.loads((path / LAYER_CONFIG_PATH).read_text("utf-8"))
        lower: list[str] = []
        for entry in [*config.get("pylib_dirs", []), config.get("base_python", "")]:
            parts = str(entry).split("/")
            if len(parts) > 1 and parts[0] == ".." and parts[1] not in lower:
                lower.append(parts[1])
        launch = config.get("launch_module")
        return cls(
            env_name=env_name,
            kind=kind,
            root=path.parent,
            folder_name=path.name,
            python=str(config["python"]),
            site_dir=str(config["site_dir"]),
            lower=tuple(lower),
            launch_module=str(launch) if launch else None,
            support_modules=tuple(support_modules),
        )


def clean_environment(**extra: str) -> dict[str, str]:
    """The environment check subprocesses run with: no Python variables of ours."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTHON", "VIRTUAL_ENV", "LD_LIBRARY_PATH"))
    }
    env.update(extra)
    return env


def run_python(
    layer: LayerFolder,
    args: Sequence[str],
    *,
    isolated: bool = True,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the layer's Python (``-I`` unless ``isolated=False``), capturing output."""
    command = [str(layer.interpreter), *(["-I"] if isolated else []), *args]
    try:
        return subprocess.run(
            command,
            capture_output=True,
            text=True,
            env=env if env is not None else clean_environment(),
            cwd=cwd or layer.root,
            timeout=SUBPROCESS_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return subprocess.CompletedProcess(command, 255, "", f"{type(exc).__name__}: {exc}")


def last_lines(text: str, count: int = 6) -> str:
    """The last ``count`` non-empty lines of ``text``, for messages."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return "\n".join(lines[-count:])
