"""Deterministic layer archives: writing them for publishing and unpacking them."""

from __future__ import annotations

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
