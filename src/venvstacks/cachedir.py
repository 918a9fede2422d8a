"""The venvstacks cache folder of this user (standard library only, cheap to import).

``$VENVSTACKS_CACHE_DIR``, else ``$XDG_CACHE_HOME/venvstacks``, else
``~/.cache/venvstacks``. Prepared runtimes, interpreter answers and no-op build memos
live below it; this module is the one place that says where it is, and it imports
nothing heavy so that the command line can find it before loading anything else.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["CACHE_DIR_ENV_VAR", "cache_root", "cache_root_text"]

CACHE_DIR_ENV_VAR = "VENVSTACKS_CACHE_DIR"


def cache_root_text() -> str:
    """The cache folder as an absolute path string (no :mod:`pathlib` needed)."""
    explicit = os.environ.get(CACHE_DIR_ENV_VAR, "").strip()
    if explicit:
        return os.path.abspath(os.path.expanduser(explicit))
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    if xdg and os.path.isabs(xdg):
        return os.path.join(xdg, "venvstacks")
    return os.path.join(os.path.expanduser("~"), ".cache", "venvstacks")


def cache_root() -> Path:
    """The venvstacks cache folder of this user."""
    from pathlib import Path  # not at import: the memo reader avoids pathlib

    return Path(cache_root_text())
