"""What differs between binary formats, as data: library names and loader-relative paths.

Linux (ELF) is implemented; macOS (Mach-O) and Windows (PE) are described by the same
rules so the path computations can be tested here and the design stays one design
(see docs/design.rst, "Cross-layer native libraries").
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass

#: Where a layer keeps its links to the library folders of lower layers.
DYNLIB_FOLDER = "share/venv/dynlib"


#: File name endings of sources, text and data files, on every platform.
NEVER_BINARY_SUFFIXES = (
    ".py",
    ".pyi",
    ".pyc",
    ".pyx",
    ".pxd",
    ".pxi",
    ".h",
    ".hpp",
    ".c",
    ".cpp",
    ".txt",
    ".md",
    ".rst",
    ".json",
    ".toml",
    ".cfg",
    ".ini",
    ".csv",
    ".html",
    ".js",
    ".css",
    ".xml",
    ".yaml",
    ".yml",
    ".svg",
    ".png",
    ".typed",
    "RECORD",
    "METADATA",
    "WHEEL",
    "INSTALLER",
    "REQUESTED",
    "LICENSE",
)


@dataclass(frozen=True)
class BinaryFormat:
    """How one binary format names libraries and finds them at load time.

    :ivar name: ``"ELF"``, ``"Mach-O"`` or ``"PE"``.
    :ivar origin_token: how a search-path entry says "the folder of this file"
        (``$ORIGIN``, ``@loader_path``); empty when the format has no such entries.
    :ivar search_path_name: what the format calls the per-file search path.
    :ivar library_name: a regular expression a shared library's file name matches,
        versioned names included (``libx.so``, ``libx.so.1``, ``libx.so.1.2.3``).
    :ivar extension_suffixes: file name endings of Python extension modules.
    :ivar patch_tool: the program that edits the search path of a file.
    :ivar loader_hook: how a layer makes lower layers' library folders known when
        there is no per-file search path (PE): ``"add_dll_directory"``; else empty.
    """

    name: str
    origin_token: str
    search_path_name: str
    library_name: str
    extension_suffixes: tuple[str, ...]
    patch_tool: str
    loader_hook: str = ""

    def is_library_name(self, file_name: str) -> bool:
        """Whether a file name looks like a shared library of this format."""
        return re.fullmatch(self.library_name, file_name) is not None

    def may_be_binary(self, file_name: str) -> bool:
        """False for names that are never a loadable binary (sources, text, data).

        Reading every file of a layer to find its binaries costs more than the rest
        of resolving; most files are Python sources and package data.
        """
        return not file_name.endswith(NEVER_BINARY_SUFFIXES)

    def is_extension_module(self, file_name: str) -> bool:
        """Whether a file name is that of a Python extension module."""
        return file_name.endswith(self.extension_suffixes)

    def search_entry(self, file_rel: str, folder_rel: str) -> str | None:
        """The search-path entry that lets ``file_rel`` find libraries in ``folder_rel``.

        Both paths are relative to the same root (POSIX separators). None when the
        format has no loader-relative entries (PE).
        """
        if not self.origin_token:
            return None
        relative = posixpath.relpath(folder_rel, posixpath.dirname(file_rel) or ".")
        if relative == ".":
            return self.origin_token
        return f"{self.origin_token}/{relative}"


ELF = BinaryFormat(
    name="ELF",
    origin_token="$ORIGIN",
    search_path_name="RUNPATH",
    library_name=r"[^/]+\.so(\.[0-9][0-9A-Za-z_]*)*",
    extension_suffixes=(".abi3.so", ".so"),
    patch_tool="patchelf",
)

MACHO = BinaryFormat(
    name="Mach-O",
    origin_token="@loader_path",
    search_path_name="LC_RPATH",
    library_name=r"[^/]+(\.[0-9][0-9A-Za-z_]*)*\.(dylib|so)",
    extension_suffixes=(".abi3.so", ".so"),
    patch_tool="install_name_tool",
)

PE = BinaryFormat(
    name="PE",
    origin_token="",
    search_path_name="",
    library_name=r"[^/\\]+\.[dD][lL][lL]",
    extension_suffixes=(".pyd",),
    patch_tool="",
    loader_hook="add_dll_directory",
)

_FORMATS = {"linux": ELF, "macosx": MACHO, "win": PE}


def format_for(target_platform: str) -> BinaryFormat:
    """The binary format of a platform tag (``linux_x86_64``, ``win_amd64``, …)."""
    prefix = target_platform.split("_", 1)[0]
    try:
        return _FORMATS[prefix]
    except KeyError:
        raise ValueError(f"unknown platform {target_platform!r}") from None


def is_excluded(relative: str, patterns: Iterable[str]) -> bool:
    """Whether a library matches one of a layer's ``dynlib_exclude`` glob patterns.

    A pattern matches the file name (``libfoo.so*``) or the end of the library's path
    inside the layer's site-packages (``nvidia/*/lib/*``), as in the reference.
    """
    name = posixpath.basename(relative)
    for pattern in patterns:
        if fnmatch.fnmatchcase(name, pattern):
            return True
        if fnmatch.fnmatchcase(relative, pattern) or fnmatch.fnmatchcase(
            relative, "*/" + pattern
        ):
            return True
    return False


def slot_name(env_name: str, folder_rel: str) -> str:
    """The name of the link, in a consumer's dynlib folder, to a provider's folder.

    ``folder_rel`` is relative to the provider's site-packages; slots keep env names
    (never deployed names), so the search paths written into binaries do not change
    when layers are staged under deployed names.
    """
    parts = [part for part in folder_rel.split("/") if part not in ("", ".")]
    return "+".join([env_name, *parts])
