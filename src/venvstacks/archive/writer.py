"""Writing one layer folder as a deterministic archive.

The archive bytes depend only on the names, contents, symlink targets and owner-exec
bits of the files, the format, and ``mtime``: never on file times, owners, umask,
inode sharing (hard links), directory listing order, or the machine's time zone.

* one top folder (``top_name``) holds the tree; entries are sorted by their POSIX path
  as bytes, so parents come before children;
* every entry has uid/gid 0, empty owner names and the same ``mtime``;
* modes are normalised: folders 0o755, files 0o755 when the owner may execute them and
  0o644 otherwise, symlinks 0o777;
* hard-linked files are stored as ordinary files;
* symlinks stay symlinks, but their targets must be relative and must not leave the
  folder holding the layers side by side (a sibling layer is fine);
* tar archives use the POSIX (pax) format: only names and link targets that do not fit
  the ustar header get a pax record, and no time records are ever written;
* compression settings are fixed (see :mod:`venvstacks.archive._streams`).
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import sys
import tarfile
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal, cast

import zstandard

from venvstacks.archive._streams import (
    CHUNK_SIZE,
    GZ_LEVEL,
    BlockFeeder,
    ContentScanner,
    HashingSink,
    ScanningReader,
)
from venvstacks.archive.formats import ArchiveFormat, archive_format
from venvstacks.errors import ArchiveError, VenvStacksError
from venvstacks.fsutil import temp_path

__all__ = ["ArchiveResult", "write_archive"]

_Kind = Literal["dir", "file", "link"]

#: Largest ``mtime`` a ustar header holds without a pax record.
_MAX_TAR_MTIME = 8**11 - 1
_DRIVE = re.compile(r"^[A-Za-z]:")
_ZIP_MIN_DATE = (1980, 1, 1, 0, 0, 0)
_ZIP_MAX_DATE = (2107, 12, 31, 23, 59, 58)


@dataclass(frozen=True)
class ArchiveResult:
    """A written archive.

    :ivar path: the archive file.
    :ivar size: its size in bytes.
    :ivar sha256: the SHA-256 of its bytes, in hex.
    :ivar file_count: how many files and symlinks it holds (folders not counted).
    """

    path: Path
    size: int
    sha256: str
    file_count: int


@dataclass(frozen=True)
class _Entry:
    """One archive member: ``name`` is the member path below the top folder."""

    name: str
    path: str
    kind: _Kind
    target: str = ""
    size: int = 0


def _sort_key(entry: _Entry) -> bytes:
    return os.fsencode(entry.name)


def _check_link(name: str, target: str, top_name: str) -> None:
    """Refuse absolute targets and targets leaving the folder holding the layers."""
    member = f"{top_name}/{name}"
    if target.startswith(("/", "\\")) or _DRIVE.match(target):
        raise ArchiveError(
            f"symlink {member} points to the absolute path {target!r}",
            hint="Layers must be relocatable: make the link relative.",
        )
    # Depth below the folder holding the layers of the folder holding the link.
    depth = member.count("/")
    for part in target.split("/"):
        if part in ("", "."):
            continue
        depth += -1 if part == ".." else 1
        if depth < 0:
            raise ArchiveError(
                f"symlink {member} points to {target!r}, outside the folder that "
                "holds the deployed layers",
                hint="Links may only reach this layer or a sibling layer folder.",
            )


def _scan_tree(
    source_dir: Path, top_name: str, exclude: Callable[[str], bool] | None
) -> list[_Entry]:
    """Every entry below ``source_dir``, sorted, without following symlinks."""
    entries: list[_Entry] = []
    pending: list[tuple[str, str]] = [("", os.fspath(source_dir))]
    while pending:
        rel_dir, abs_dir = pending.pop()
        with os.scandir(abs_dir) as listing:
            for item in listing:
                name = f"{rel_dir}/{item.name}" if rel_dir else item.name
                if exclude is not None and exclude(name):
                    continue
                st = item.stat(follow_symlinks=False)
                mode = st.st_mode
                if stat.S_ISLNK(mode):
                    target = os.readlink(item.path)
                    _check_link(name, target, top_name)
                    entries.append(_Entry(name, item.path, "link", target))
                elif stat.S_ISDIR(mode):
                    entries.append(_Entry(name, item.path, "dir"))
                    pending.append((name, item.path))
                elif stat.S_ISREG(mode):
                    entries.append(_Entry(name, item.path, "file", size=st.st_size))
                else:
                    raise ArchiveError(
                        f"{top_name}/{name} is not a file, folder or symlink",
                        hint="Sockets, pipes and devices cannot be archived.",
                    )
    entries.sort(key=_sort_key)
    return entries


def _file_mode(st_mode: int) -> int:
    return 0o755 if st_mode & stat.S_IXUSR else 0o644


def _tar_info(
    name: str, kind: _Kind, mtime: int, mode: int, size: int = 0, target: str = ""
) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = {"dir": tarfile.DIRTYPE, "file": tarfile.REGTYPE, "link": tarfile.SYMTYPE}[
        kind
    ]
    info.mode = mode
    info.mtime = mtime
    info.size = size
    info.linkname = target
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


@dataclass
class _Job:
    """What every member writer needs."""

    top_name: str
    mtime: int
    scanner: ContentScanner | None
    progress: Callable[[int], None] | None

    def member(self, name: str) -> str:
        return f"{self.top_name}/{name}" if name else self.top_name


def _write_tar(entries: list[_Entry], job: _Job, feeder: BlockFeeder) -> int:
    count = 0
    with tarfile.TarFile(
        fileobj=cast(IO[bytes], feeder),
        mode="w",
        format=tarfile.PAX_FORMAT,
        encoding="utf-8",
        errors="surrogateescape",
        copybufsize=CHUNK_SIZE,
    ) as tar:
        tar.addfile(_tar_info(job.top_name, "dir", job.mtime, 0o755))
        for entry in entries:
            member = job.member(entry.name)
            if entry.kind == "dir":
                tar.addfile(_tar_info(member, "dir", job.mtime, 0o755))
            elif entry.kind == "link":
                tar.addfile(_tar_info(member, "link", job.mtime, 0o777, 0, entry.target))
                count += 1
            else:
                with open(entry.path, "rb") as fh:
                    st = os.fstat(fh.fileno())
                    info = _tar_info(
                        member, "file", job.mtime, _file_mode(st.st_mode), st.st_size
                    )
                    reader = ScanningReader(fh, member, job.scanner, job.progress)
                    tar.addfile(info, cast(IO[bytes], reader))
                count += 1
    return count


def _zip_date(mtime: int) -> tuple[int, int, int, int, int, int]:
    date = cast(tuple[int, int, int, int, int, int], tuple(time.gmtime(mtime)[:6]))
    return max(_ZIP_MIN_DATE, min(_ZIP_MAX_DATE, date))


def _zip_info(name: str, job: _Job, mode: int, compress: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, _zip_date(job.mtime))
    info.create_system = 3  # unix: external_attr carries the mode
    info.external_attr = mode << 16
    if stat.S_ISDIR(mode):
        info.external_attr |= 0x10  # MS-DOS directory flag
    info.compress_type = compress
    info.CRC = 0  # set for real when data is written; mkdir() needs it preset
    if compress == zipfile.ZIP_DEFLATED:
        if sys.version_info >= (3, 13):
            info.compress_level = GZ_LEVEL
        else:
            info._compresslevel = GZ_LEVEL  # type: ignore[attr-defined]
    return info


def _write_zip(entries: list[_Entry], job: _Job, sink: HashingSink) -> int:
    count = 0
    with zipfile.ZipFile(
        cast(IO[bytes], sink), "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True
    ) as archive:
        archive.mkdir(_zip_info(job.top_name + "/", job, stat.S_IFDIR | 0o755, 0))
        for entry in entries:
            member = job.member(entry.name)
            if entry.kind == "dir":
                info = _zip_info(member + "/", job, stat.S_IFDIR | 0o755, 0)
                archive.mkdir(info)
            elif entry.kind == "link":
                info = _zip_info(member, job, stat.S_IFLNK | 0o777, zipfile.ZIP_STORED)
                archive.writestr(info, os.fsencode(entry.target))
                count += 1
            else:
                with open(entry.path, "rb") as fh:
                    st = os.fstat(fh.fileno())
                    mode = stat.S_IFREG | _file_mode(st.st_mode)
                    info = _zip_info(member, job, mode, zipfile.ZIP_DEFLATED)
                    info.file_size = st.st_size
                    reader = ScanningReader(fh, member, job.scanner, job.progress)
                    with archive.open(info, "w") as dest:
                        while chunk := reader.read(CHUNK_SIZE):
                            dest.write(chunk)
                    if info.file_size != st.st_size:
                        raise ArchiveError(f"{member} changed while it was archived")
                count += 1
    return count


def _check_arguments(
    source_dir: Path, archive_path: Path, mtime: int, top_name: str
) -> None:
    if not source_dir.is_dir():
        raise ArchiveError(f"cannot archive {source_dir}: it is not a folder")
    if top_name in ("", ".", "..") or "/" in top_name or "\\" in top_name:
        raise ArchiveError(f"invalid top folder name {top_name!r} for {archive_path}")
    if not 0 <= mtime <= _MAX_TAR_MTIME:
        raise ArchiveError(f"invalid archive mtime {mtime!r} for {archive_path}")
    source = source_dir.resolve()
    if archive_path.parent.resolve().is_relative_to(source):
        raise ArchiveError(
            f"cannot write {archive_path} inside the folder it archives ({source_dir})"
        )


def write_archive(
    source_dir: Path,
    archive_path: Path,
    fmt: ArchiveFormat,
    *,
    mtime: int,
    top_name: str | None = None,
    forbidden: Sequence[bytes] = (),
    exclude: Callable[[str], bool] | None = None,
    progress: Callable[[int], None] | None = None,
    threads: int = 1,
) -> ArchiveResult:
    """Write ``source_dir`` as a deterministic archive at ``archive_path``.

    The archive is written to a temporary file beside ``archive_path`` and renamed
    into place when complete, so an interrupted write never leaves a partial archive
    under the final name (an existing archive is replaced only on success).

    :param source_dir: the layer folder to archive.
    :param archive_path: the archive to write (its folder must exist).
    :param fmt: ``"xz"``, ``"gz"``, ``"zst"`` or ``"zip"``.
    :param mtime: the modification time given to every entry (seconds since the
        epoch); zip archives clamp it to their 1980-2107 range.
    :param top_name: the name of the archive's single top folder (default: the name
        of ``source_dir``).
    :param forbidden: byte strings no regular file may contain (for example the
        absolute path of the build folder).
    :param exclude: called with each entry's POSIX path relative to ``source_dir``;
        when it returns true, the entry (and everything below it) is left out.
    :param progress: called with the number of bytes of file data just consumed.
    :param threads: compression threads for ``xz``, ``gz`` and ``zst`` (0 means one
        per CPU). The archive bytes are the same for every value (see
        :mod:`venvstacks.archive._blocks`).
    :raises ArchiveError: for a bad argument, a symlink with an absolute or escaping
        target, a forbidden string, a special file, or an I/O failure.
    """
    fmt = archive_format(fmt)
    top = source_dir.name if top_name is None else top_name
    _check_arguments(source_dir, archive_path, mtime, top)
    needles = tuple(bytes(n) for n in forbidden)
    if any(not n for n in needles):
        raise ArchiveError("an empty byte string cannot be a forbidden string")
    scanner = ContentScanner(needles) if needles else None
    workers = threads if threads > 0 else max(1, os.cpu_count() or 1)
    job = _Job(top, mtime, scanner, progress)
    temp = temp_path(archive_path)
    try:
        entries = _scan_tree(source_dir, top, exclude)
        with open(temp, "xb") as out:
            sink = HashingSink(out)
            if fmt == "zip":
                count = _write_zip(entries, job, sink)
            else:
                weight = sum(entry.size for entry in entries)
                feeder = BlockFeeder(fmt, sink, workers, weight)
                count = _write_tar(entries, job, feeder)
                feeder.close()
            sink.flush()
        os.replace(temp, archive_path)
    except VenvStacksError:
        _discard(temp)
        raise
    except (OSError, tarfile.TarError, zipfile.BadZipFile, zstandard.ZstdError) as exc:
        _discard(temp)
        raise ArchiveError(f"cannot write {archive_path}: {exc}") from exc
    except BaseException:
        _discard(temp)
        raise
    return ArchiveResult(archive_path, sink.size, sink.hexdigest(), count)


def _discard(temp: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        temp.unlink()
