"""``dynlib``: every ELF file in a layer finds the libraries it needs.

Each ``DT_NEEDED`` name is looked up the way the Linux loader will at run time: the
file's ``RPATH`` (only without ``RUNPATH``), its ``RUNPATH`` (``$ORIGIN`` expanded),
then the system's library folders (``/etc/ld.so.conf`` and the default folders).
Search path entries that are absolute and outside the stack do not count: they will
not exist where the stack is deployed. Libraries the layer's interpreter loads itself
(``libpython``, ``libc``) count as present, as they are loaded before any extension.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from venvstacks.checks.model import CheckResult, LayerFolder, failed, passed, skipped
from venvstacks.platforms.elf import DynamicInfo, read_dynamic
from venvstacks.platforms.linux import system_library_dirs

CHECK = "dynlib"


def _elf_candidates(folder: Path) -> Iterator[Path]:
    for root, _dirs, files in os.walk(folder):
        for name in files:
            path = Path(root, name)
            try:
                mode = path.lstat().st_mode
            except OSError:
                continue
            if not stat.S_ISREG(mode):
                continue
            if ".so" in name or mode & 0o111:
                yield path


def _within(path: str, folders: Sequence[Path]) -> bool:
    return any(path == str(f) or path.startswith(str(f) + os.sep) for f in folders)


def search_dirs(
    file: Path, info: DynamicInfo, stack_folders: Sequence[Path]
) -> tuple[list[str], list[str]]:
    """(folders searched for ``file``'s libraries, entries ignored with the reason)."""
    own = info.rpath if info.runpath is None else info.runpath
    searched: list[str] = []
    ignored: list[str] = []
    for entry in own or ():
        expanded = entry.replace("${ORIGIN}", "$ORIGIN").replace(
            "$ORIGIN", str(file.parent)
        )
        expanded = os.path.normpath(expanded)
        if "$ORIGIN" in entry or _within(expanded, stack_folders):
            searched.append(expanded)
        else:
            ignored.append(f"{file.name}: search path entry {entry} is outside the stack")
    searched.extend(system_library_dirs())
    return searched, ignored


def _interpreter_libraries(layer: LayerFolder) -> set[str]:
    real = Path(os.path.realpath(layer.interpreter))
    info = read_dynamic(real)
    loaded = {"ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1", "linux-vdso.so.1"}
    if info is not None:
        loaded.update(info.needed)
    return loaded


def missing_libraries(layer: LayerFolder) -> tuple[dict[str, list[str]], list[str]]:
    """(file relative to the layer -> missing library names, notes)."""
    preloaded = _interpreter_libraries(layer)
    stack_folders = [Path(os.path.realpath(f)) for f in layer.stack_folders]
    stack_folders.extend(layer.stack_folders)
    missing: dict[str, list[str]] = {}
    notes: list[str] = []
    count = 0
    for path in sorted(_elf_candidates(layer.path)):
        info = read_dynamic(path)
        if info is None:
            continue
        count += 1
        dirs, ignored = search_dirs(path, info, stack_folders)
        notes.extend(ignored)
        for name in info.needed:
            if "/" in name:
                found = Path(name).exists()
            else:
                found = name in preloaded or any(Path(d, name).exists() for d in dirs)
            if not found:
                missing.setdefault(path.relative_to(layer.path).as_posix(), []).append(name)
    notes.insert(0, f"{count} ELF file(s) looked at")
    return missing, notes


def check_dynlib(layer: LayerFolder) -> CheckResult:
    """Run the ``dynlib`` check on a layer (Linux only)."""
    if not sys.platform.startswith("linux"):
        return skipped(CHECK, layer.env_name, "only ELF (Linux) layers are checked")
    missing, notes = missing_libraries(layer)
    if missing:
        lines = [f"{file} needs {', '.join(names)}" for file, names in missing.items()]
        return failed(
            CHECK,
            layer.env_name,
            f"{len(missing)} file(s) in this layer need shared libraries that neither "
            "their own search path, the stack nor the system provides: "
            + "; ".join(lines[:20])
            + (f"; and {len(lines) - 20} more" if len(lines) > 20 else "")
            + ". Add the distribution that ships them to this layer or a layer below "
            "it, or install them on the system.",
            [*lines, *notes],
        )
    return passed(CHECK, layer.env_name, notes[0], notes)
