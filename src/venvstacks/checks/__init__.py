"""Per-layer checks: plain functions that look at a built or deployed layer.

Each check takes a :class:`LayerFolder` (a layer folder and what it is made of) and
returns a :class:`CheckResult`. The engine (``venvstacks.engine.checking``) prepares
the folders and runs the checks; the pytest collector and ``venvstacks check`` report
the results. Nothing here imports the engine.
"""

from __future__ import annotations

from venvstacks.checks.model import (
    CHECK_NAMES,
    CheckResult,
    CheckStatus,
    LayerFolder,
    failed,
    passed,
    skipped,
)

__all__ = [
    "CHECK_NAMES",
    "CheckResult",
    "CheckStatus",
    "LayerFolder",
    "failed",
    "passed",
    "skipped",
]
