"""Running ``compileall``: how venvstacks precompiles modules, in one place.

Used for a prepared runtime's standard library (time-stamp ``.pyc`` in the runtime
cache) and for published layers (hash-based ``.pyc``, see
:mod:`venvstacks.export.bytecode`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path


def compileall_command(
    python: Path,
    targets: Sequence[str],
    *,
    invalidation_mode: str | None = None,
    strip_prefix: str | None = None,
) -> list[str]:
    """``python -m compileall`` over ``targets``, isolated, quiet, on every CPU.

    Files that do not compile (templates, Python 2 sources shipped as data) are
    skipped; compileall then exits with status 1.
    """
    command = [os.fspath(python), "-I", "-S", "-m", "compileall", "-qq", "-j", "0"]
    if invalidation_mode is not None:
        command += ["--invalidation-mode", invalidation_mode]
    if strip_prefix is not None:
        command += ["-s", strip_prefix]
    return [*command, *targets]
