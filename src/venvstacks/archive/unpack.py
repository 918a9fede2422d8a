"""Unpacking a layer archive safely, with symlinks and exec bits restored.

Every member is checked before it is extracted, the same way on every Python version:

* member names must be relative, without ``..``, and all below one top folder;
* nothing may be written through a symlink, or outside the destination;
* symlink targets must be relative and must stay inside the destination (the folder
  holding the layers side by side), so links to sibling layers are fine;
* hard links must point to a file extracted before them;
* devices, pipes and other special files are refused.

Tar members are then extracted by :mod:`tarfile` with ``filter="data"`` where the
filter exists (3.11.4+), and otherwise by equivalent code here: regular files get
``mode & 0o755``, without any exec bit unless the owner's is set, plus ``0o600``;
folders get the default mode; owners are ignored; file times are restored. Zip members
are extracted by the same code, reading the unix mode from ``external_attr``.

The archive is extracted into a temporary folder inside the destination and its top
folder renamed into place at the end, so an interrupted unpack leaves no half layer.
"""

from __future__ import annotations

import calendar
import gzip
import lzma
import os
import re
import shutil
import stat
import tarfile
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, NoReturn, cast

import zstandard

from venvstacks.errors import DeployError, VenvStacksError

__all__ = ["unpack_archive"]

_CHUNK_SIZE = 1 << 20
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x1f\x8b", "gz"),
    (b"\x28\xb5\x2f\xfd", "zst"),
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),
)
_DRIVE = re.compile(r"^[A-Za-z]:")

#: Whether this Python's :mod:`tarfile` has extraction filters (3.11.4 and later).
HAS_DATA_FILTER = hasattr(tarfile, "data_filter")


def data_file_mode(mode: int) -> int:
    """The mode a regular file gets, as with :func:`tarfile.data_filter`."""
    mode &= 0o755
    if not mode & 0o100:
        mode &= ~0o111
    return mode | 0o600


def _within(path: str, root: str) -> bool:
    return os.path.commonpath([path, root]) == root


class _Extractor:
    """Checks and extracts members below ``root`` (the staging folder)."""

    def __init__(self, root: Path, dest_dir: Path, archive: Path) -> None:
        self.root = root
        self._real_root = os.path.realpath(root)
        self._dest_dir = dest_dir
        self._archive = archive
        self.top: str | None = None
        self._links: set[tuple[str, ...]] = set()
        self._files: set[tuple[str, ...]] = set()

    def fail(self, name: str, problem: str) -> NoReturn:
        """Refuse the archive because of one member."""
        raise DeployError(
            f"cannot unpack {self._archive}: member {name!r} {problem}",
            hint="The archive was not made by venvstacks, or was tampered with.",
        )

    def parts(self, name: str, *, is_dir: bool) -> tuple[str, ...]:
        """Check a member name; its path components below the destination."""
        if name.startswith(("/", "\\")) or _DRIVE.match(name):
            self.fail(name, "has an absolute path")
        parts = tuple(part for part in name.split("/") if part not in ("", "."))
        if not parts:
            self.fail(name, "has an empty name")
        if ".." in parts:
            self.fail(name, "has a '..' path component")
        if self.top is None:
            self.top = parts[0]
            if os.path.lexists(self._dest_dir / self.top):
                raise DeployError(
                    f"cannot unpack {self._archive}: "
                    f"{self._dest_dir / self.top} already exists",
                    hint="Remove the deployed layer first.",
                )
        elif parts[0] != self.top:
            self.fail(name, f"is outside the archive's top folder {self.top!r}")
        if len(parts) == 1 and not is_dir:
            self.fail(name, "is not inside a top folder")
        for end in range(1, len(parts)):
            if parts[:end] in self._links:
                self.fail(name, "would be written through a symlink")
        return parts

    def path(self, name: str, parts: tuple[str, ...], *, is_dir: bool = False) -> Path:
        """The file system path of a checked member (which must not exist yet)."""
        path = self.root.joinpath(*parts)
        if not _within(os.path.realpath(path.parent), self._real_root):
            self.fail(name, "would be written outside the destination")
        if os.path.lexists(path) and not (
            is_dir and path.is_dir() and not path.is_symlink()
        ):
            self.fail(name, "appears more than once")
        return path

    def check_symlink(self, name: str, parts: tuple[str, ...], target: str) -> None:
        """Refuse absolute targets and targets leading outside the destination."""
        if not target or target.startswith(("/", "\\")) or _DRIVE.match(target):
            self.fail(name, f"is a symlink to the absolute path {target!r}")
        outside = f"is a symlink leading outside the destination: {target!r}"
        depth = len(parts) - 1
        for part in target.split("/"):
            if part in ("", "."):
                continue
            depth += -1 if part == ".." else 1
            if depth < 0:
                self.fail(name, outside)
        resolved = os.path.realpath(self.root.joinpath(*parts[:-1], target))
        if not _within(resolved, self._real_root):
            self.fail(name, outside)
        self._links.add(parts)

    def check_hardlink(self, name: str, target: str) -> Path:
        """The path of a hard link's target, which must be an extracted file."""
        target_parts = self.parts(target, is_dir=False)
        if target_parts not in self._files:
            self.fail(name, f"is a hard link to {target!r}, not an earlier file")
        return self.root.joinpath(*target_parts)

    def directory(self, name: str, mtime: int | None) -> None:
        """Extract a folder."""
        path = self.path(name, self.parts(name, is_dir=True), is_dir=True)
        path.mkdir(parents=True, exist_ok=True)
        if mtime is not None:
            os.utime(path, (mtime, mtime))

    def file(self, name: str, source: IO[bytes], mode: int, mtime: int | None) -> None:
        """Extract a regular file from a readable stream."""
        parts = self.parts(name, is_dir=False)
        path = self.path(name, parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "xb") as out:
            shutil.copyfileobj(source, out, _CHUNK_SIZE)
        path.chmod(mode)
        if mtime is not None:
            os.utime(path, (mtime, mtime))
        self._files.add(parts)

    def symlink(self, name: str, target: str) -> None:
        """Extract a symlink."""
        parts = self.parts(name, is_dir=False)
        path = self.path(name, parts)
        self.check_symlink(name, parts, target)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.symlink_to(target)

    def hardlink(self, name: str, target: str) -> None:
        """Extract a hard link to an earlier file."""
        parts = self.parts(name, is_dir=False)
        path = self.path(name, parts)
        source = self.check_hardlink(name, target)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.hardlink_to(source)
        self._files.add(parts)

    def tar_member(self, tar: tarfile.TarFile, member: tarfile.TarInfo) -> None:
        """Check and extract one tar member."""
        name = member.name
        if not (member.isreg() or member.isdir() or member.issym() or member.islnk()):
            self.fail(name, "is a device, pipe or other special file")
        if not HAS_DATA_FILTER:
            self._tar_member_without_filter(tar, member)
            return
        parts = self.parts(name, is_dir=member.isdir())
        self.path(name, parts, is_dir=member.isdir())
        if member.issym():
            self.check_symlink(name, parts, member.linkname)
        elif member.islnk():
            self.check_hardlink(name, member.linkname)
        tar.extract(member, self.root, set_attrs=True, filter="data")
        if member.isreg() or member.islnk():
            self._files.add(parts)

    def _tar_member_without_filter(
        self, tar: tarfile.TarFile, member: tarfile.TarInfo
    ) -> None:
        if member.isdir():
            self.directory(member.name, int(member.mtime))
        elif member.issym():
            self.symlink(member.name, member.linkname)
        elif member.islnk():
            self.hardlink(member.name, member.linkname)
        else:
            source = tar.extractfile(member)
            if source is None:  # pragma: no cover - regular members always have data
                self.fail(member.name, "has no data")
            with source:
                mode = data_file_mode(member.mode)
                self.file(member.name, source, mode, int(member.mtime))

    def zip_member(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
        """Check and extract one zip member."""
        name = info.filename
        unix_mode = info.external_attr >> 16 if info.create_system == 3 else 0
        kind = stat.S_IFMT(unix_mode)
        mtime = calendar.timegm((*info.date_time, 0, 0, 0))
        if name.endswith("/") or kind == stat.S_IFDIR:
            self.directory(name, mtime)
        elif kind == stat.S_IFLNK:
            self.symlink(name, os.fsdecode(archive.read(info)))
        elif kind in (0, stat.S_IFREG):
            mode = data_file_mode(unix_mode) if unix_mode else 0o644
            with archive.open(info) as source:
                self.file(name, source, mode, mtime)
        else:
            self.fail(name, "is a device, pipe or other special file")


def _sniff(archive: Path) -> str:
    with open(archive, "rb") as fh:
        head = fh.read(8)
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    raise DeployError(
        f"cannot unpack {archive}: it is not a .tar.xz, .tar.gz, .tar.zst or .zip archive"
    )


@contextmanager
def _tar_stream(archive: Path, kind: str) -> Iterator[IO[bytes]]:
    with open(archive, "rb") as raw:
        if kind == "xz":
            with lzma.LZMAFile(raw) as xz:
                yield xz
        elif kind == "gz":
            with gzip.GzipFile(fileobj=raw, mode="rb") as gz:
                yield cast(IO[bytes], gz)
        else:
            dctx = zstandard.ZstdDecompressor()
            with dctx.stream_reader(raw, read_across_frames=True, closefd=False) as zst:
                yield zst


def _unpack(archive: Path, kind: str, extractor: _Extractor) -> None:
    if kind == "zip":
        with zipfile.ZipFile(archive) as zipped:
            for info in zipped.infolist():
                extractor.zip_member(zipped, info)
        return
    with (
        _tar_stream(archive, kind) as stream,
        tarfile.open(
            fileobj=stream, mode="r|", encoding="utf-8", errors="surrogateescape"
        ) as tar,
    ):
        for member in tar:
            extractor.tar_member(tar, member)


def unpack_archive(archive: Path, dest_dir: Path) -> Path:
    """Unpack a layer archive into ``dest_dir``; the top folder it created.

    :param archive: a ``.tar.xz``, ``.tar.gz``, ``.tar.zst`` or ``.zip`` archive
        (recognised by its content, not its name).
    :param dest_dir: the folder holding the deployed layers (created if needed).
    :raises DeployError: when the archive is unreadable or unsafe (absolute or ``..``
        names, links leaving ``dest_dir``, special files, several top folders), or
        when its top folder already exists in ``dest_dir``.
    """
    try:
        kind = _sniff(archive)
        dest_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{archive.name}.", dir=dest_dir))
    except OSError as exc:
        raise DeployError(f"cannot unpack {archive}: {exc}") from exc
    try:
        extractor = _Extractor(staging, dest_dir, archive)
        _unpack(archive, kind, extractor)
        if extractor.top is None:
            raise DeployError(f"cannot unpack {archive}: the archive is empty")
        final = dest_dir / extractor.top
        if os.path.lexists(final):
            raise DeployError(f"cannot unpack {archive}: {final} already exists")
        (staging / extractor.top).rename(final)
    except VenvStacksError:
        raise
    except (
        OSError,
        EOFError,
        lzma.LZMAError,
        tarfile.TarError,
        zipfile.BadZipFile,
        zstandard.ZstdError,
    ) as exc:
        raise DeployError(f"cannot unpack {archive}: {exc}") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return final
