"""What differs per operating system: binary formats and cross-layer native libraries.

* :mod:`~venvstacks.platforms.formats`: library naming and loader-relative search
  paths of ELF, Mach-O and PE, as data;
* :mod:`~venvstacks.platforms.elf`: reading and rewriting ELF dynamic sections;
* :mod:`~venvstacks.platforms.linux`: the Linux platform (implemented);
* :mod:`~venvstacks.platforms.dynlib`: :func:`resolve_layer_dynlibs`, which libraries
  a layer takes from which lower layer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from venvstacks.platforms.formats import DYNLIB_FOLDER, BinaryFormat, format_for

if TYPE_CHECKING:
    from venvstacks.platforms.dynlib import Platform

__all__ = ["DYNLIB_FOLDER", "BinaryFormat", "format_for", "platform_for"]


def platform_for(target_platform: str) -> Platform | None:
    """The platform implementation for a platform tag; None where not implemented yet.

    Only Linux is implemented; macOS and Windows are designed (docs/design.rst).
    """
    if target_platform.startswith("linux"):
        from venvstacks.platforms.linux import LinuxPlatform

        return LinuxPlatform()
    return None
