"""The Linux platform: ELF files, ``patchelf``, the system's library cache."""

from __future__ import annotations

import functools
import shutil
import subprocess
import sysconfig
from pathlib import Path

from venvstacks.platforms import elf
from venvstacks.platforms.formats import ELF, BinaryFormat

#: Folders the dynamic loader searches after RUNPATH and its cache.
_DEFAULT_DIRS = ("/lib", "/usr/lib", "/lib64", "/usr/lib64")


class LinuxPlatform:
    """Reads and patches ELF files; knows which libraries the system provides."""

    binary_format: BinaryFormat = ELF

    def read_binary(self, path: Path) -> elf.DynamicInfo | None:
        """NEEDED, SONAME and search path of an ELF file (None for other files)."""
        return elf.read_dynamic(path)

    def is_system_library(self, name: str) -> bool:
        """Whether the loader finds ``name`` without any search path of ours."""
        if name in _ldconfig_names():
            return True
        return any(Path(d, name).exists() for d in _system_dirs())

    def set_search_path(self, path: Path, kind: str, entries: tuple[str, ...]) -> None:
        """Rewrite a file's RUNPATH/RPATH in place (the caller made it a private copy)."""
        elf.set_search_path(path, elf.SearchPath(kind, entries))


@functools.cache
def _system_dirs() -> tuple[str, ...]:
    multiarch = sysconfig.get_config_var("MULTIARCH") or ""
    extra = (f"/lib/{multiarch}", f"/usr/lib/{multiarch}") if multiarch else ()
    return (*extra, *_DEFAULT_DIRS)


@functools.cache
def _ldconfig_names() -> frozenset[str]:
    """Library names in the loader cache (``ldconfig -p``); empty if unavailable."""
    program = shutil.which("ldconfig") or (
        "/sbin/ldconfig" if Path("/sbin/ldconfig").exists() else None
    )
    if program is None:
        return frozenset()
    try:
        result = subprocess.run(
            [program, "-p"], capture_output=True, text=True, check=False, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    names = set()
    for line in result.stdout.splitlines()[1:]:
        name = line.strip().split(" ", 1)[0]
        if name:
            names.add(name)
    return frozenset(names)
