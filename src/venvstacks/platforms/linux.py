"""The Linux platform: ELF files, ``patchelf``, the system's library folders."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path

from venvstacks.platforms import elf
from venvstacks.platforms.formats import ELF, BinaryFormat


class LinuxPlatform:
    """Reads and patches ELF files; knows which libraries the system provides."""

    binary_format: BinaryFormat = ELF

    def read_binary(self, path: Path) -> elf.DynamicInfo | None:
        """NEEDED, SONAME and search path of an ELF file (None for other files)."""
        return elf.read_dynamic(path)

    def is_system_library(self, name: str) -> bool:
        """Whether the loader finds ``name`` without any search path of ours."""
        return any(Path(d, name).exists() for d in system_library_dirs())

    def set_search_path(self, path: Path, kind: str, entries: tuple[str, ...]) -> None:
        """Rewrite a file's RUNPATH/RPATH in place (the caller made it a private copy)."""
        elf.set_search_path(path, elf.SearchPath(kind, entries))


_DEFAULT_DIRS = ("/lib64", "/usr/lib64", "/lib", "/usr/lib")


def _conf_dirs(conf: Path, seen: set[Path]) -> Iterator[str]:
    if conf in seen:
        return
    seen.add(conf)
    try:
        lines = conf.read_text("utf-8", "replace").splitlines()
    except OSError:
        return
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if line.startswith("include"):
            pattern = line.split(None, 1)[1] if " " in line else ""
            base = Path("/") if pattern.startswith("/") else conf.parent
            for included in sorted(base.glob(pattern.lstrip("/"))):
                yield from _conf_dirs(included, seen)
        elif line:
            yield line


@functools.cache
def system_library_dirs() -> tuple[str, ...]:
    """The folders the loader searches after an object's own search path."""
    dirs = [*_conf_dirs(Path("/etc/ld.so.conf"), set()), *_DEFAULT_DIRS]
    return tuple(d for d in dict.fromkeys(dirs) if Path(d).is_dir())
