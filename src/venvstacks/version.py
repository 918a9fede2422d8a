"""The installed venvstacks version."""

from __future__ import annotations

import functools
from importlib import metadata


@functools.cache
def tool_version() -> str:
    """This tool's version (``0+unknown`` when run from a source tree)."""
    try:
        return metadata.version("venvstacks")
    except metadata.PackageNotFoundError:
        return "0+unknown"
