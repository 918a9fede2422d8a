"""The archive formats venvstacks publishes layers in, and how users spell them."""

from __future__ import annotations

from typing import Literal, TypeAlias

from venvstacks.errors import ArchiveError

ArchiveFormat: TypeAlias = Literal["xz", "gz", "zst", "zip"]

#: The canonical format names, in the order they are offered to users.
FORMATS: tuple[ArchiveFormat, ...] = ("xz", "gz", "zst", "zip")

#: The file name suffix of each format's archives.
SUFFIXES: dict[ArchiveFormat, str] = {
    "xz": ".tar.xz",
    "gz": ".tar.gz",
    "zst": ".tar.zst",
    "zip": ".zip",
}

_ALIASES: dict[str, ArchiveFormat] = {
    "xz": "xz",
    "txz": "xz",
    "tar.xz": "xz",
    "gz": "gz",
    "gzip": "gz",
    "tgz": "gz",
    "tar.gz": "gz",
    "zst": "zst",
    "zstd": "zst",
    "tzst": "zst",
    "tar.zst": "zst",
    "tar.zstd": "zst",
    "zip": "zip",
}


def archive_format(value: str) -> ArchiveFormat:
    """The format named by ``value``: a format name or an archive suffix.

    Accepts ``xz``, ``gz``, ``zst``, ``zip`` and spellings such as ``tar.xz``,
    ``.tar.xz``, ``zstd``, ``tar.zst``, ``gzip`` or ``tgz`` (case-insensitive).

    :raises ArchiveError: when ``value`` names no supported format.
    """
    key = value.strip().lower().lstrip(".")
    fmt = _ALIASES.get(key)
    if fmt is None:
        allowed = ", ".join(repr(name) for name in FORMATS)
        raise ArchiveError(
            f"unknown archive format {value!r}",
            hint=f"Use one of {allowed} (or a suffix such as 'tar.xz').",
        )
    return fmt


def archive_name(base_name: str, fmt: ArchiveFormat) -> str:
    """The archive file name for a layer folder name: ``base_name`` plus the suffix."""
    return base_name + SUFFIXES[fmt]
