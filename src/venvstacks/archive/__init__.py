"""Deterministic layer archives: writing them for publishing and unpacking them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from venvstacks._lazy import lazy_exports

if TYPE_CHECKING:
    from venvstacks.archive.formats import (
        FORMATS,
        SUFFIXES,
        ArchiveFormat,
        archive_format,
        archive_name,
    )
    from venvstacks.archive.unpack import unpack_archive
    from venvstacks.archive.writer import ArchiveResult, write_archive

__all__ = [
    "FORMATS",
    "SUFFIXES",
    "ArchiveFormat",
    "ArchiveResult",
    "archive_format",
    "archive_name",
    "unpack_archive",
    "write_archive",
]

__getattr__, __dir__ = lazy_exports(
    globals(),
    {
        "ArchiveFormat": "venvstacks.archive.formats",
        "ArchiveResult": "venvstacks.archive.writer",
        "FORMATS": "venvstacks.archive.formats",
        "SUFFIXES": "venvstacks.archive.formats",
        "archive_format": "venvstacks.archive.formats",
        "archive_name": "venvstacks.archive.formats",
        "unpack_archive": "venvstacks.archive.unpack",
        "write_archive": "venvstacks.archive.writer",
    },
)
