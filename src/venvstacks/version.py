"""The installed venvstacks version."""

from __future__ import annotations

import functools
import os
import sys

_DIST_PREFIX = "venvstacks-"


@functools.cache
def tool_version() -> str:
    """This tool's version (``0+unknown`` when run from a source tree).

    Read from the installed ``venvstacks-X.dist-info/METADATA`` found on ``sys.path``
    (what :func:`importlib.metadata.version` does, without importing that module and
    its email parser: every command needs the version, most need nothing else of it;
    and without :mod:`pathlib`: the no-op build memo's key needs it before anything
    else is imported).
    """
    for entry in sys.path:
        try:
            with os.scandir(entry or ".") as listing:
                names = [item.path for item in listing if _is_our_dist_info(item.name)]
        except OSError:
            continue
        for name in sorted(names):
            found = _metadata_version(os.path.join(name, "METADATA"))
            if found:
                return found
    return _slow_version()


def _is_our_dist_info(name: str) -> bool:
    return name.startswith(_DIST_PREFIX) and name.endswith(".dist-info")


def _metadata_version(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as stream:
            for line in stream:
                if line.startswith("Version:"):
                    return line.partition(":")[2].strip()
                if not line.strip():
                    break
    except OSError:
        pass
    return None


def _slow_version() -> str:
    from importlib import metadata

    try:
        return metadata.version("venvstacks")
    except metadata.PackageNotFoundError:
        return "0+unknown"
