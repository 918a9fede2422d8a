"""Byte streams the archive writer is assembled from.

The pipeline for a tar archive is::

    TarFile -> _BlockFeeder -> compressor -> _HashingSink -> temporary file

and for a zip archive ``ZipFile -> _HashingSink -> temporary file``. File contents go
through a :class:`ContentScanner` on the way in. Every stage hands large buffers to C
code (file reads, ``lzma``, ``zlib``, ``zstandard``, ``hashlib``), which release the GIL,
so several archives can be written in parallel threads.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from typing import IO, BinaryIO, Protocol, cast

import zstandard

from venvstacks import cancel
from venvstacks.archive._blocks import GzipBlocks, XzBlocks
from venvstacks.errors import ArchiveError

#: Size of the reads from files and of the blocks fed to compressors.
CHUNK_SIZE = 1 << 20

#: ``lzma`` preset of ``.tar.xz`` archives.
XZ_PRESET = 6
#: ``gzip`` (deflate) level of ``.tar.gz`` archives and of ``.zip`` members.
GZ_LEVEL = 6
#: ``zstandard`` level of ``.tar.zst`` archives.
ZSTD_LEVEL = 10


class HashingSink:
    """Writes bytes to a file while counting them and computing their SHA-256.

    It has ``tell`` but no ``seek``, so :mod:`zipfile` writes entries sequentially
    (with data descriptors) instead of seeking back to patch local headers.
    """

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._sha = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes | bytearray | memoryview) -> int:
        """Write, hash and count ``data``."""
        self._sha.update(data)
        self._out.write(data)
        length = len(data)
        self.size += length
        return length

    def tell(self) -> int:
        """Number of bytes written so far."""
        return self.size

    def flush(self) -> None:
        """Flush the underlying file."""
        self._out.flush()

    def hexdigest(self) -> str:
        """SHA-256 of everything written, in hex."""
        return self._sha.hexdigest()


class _Compressor(Protocol):
    def write(self, data: bytes) -> object: ...

    def close(self) -> None: ...


def _open_compressor(
    kind: str, sink: HashingSink, threads: int, weight: int
) -> _Compressor:
    if kind == "xz":
        return XzBlocks(sink, XZ_PRESET, threads, weight=weight)
    if kind == "gz":
        return GzipBlocks(sink, GZ_LEVEL, threads, weight=weight)
    if kind == "zst":
        # Always the multi-threaded mode (at least one worker): its output does not
        # depend on the number of workers, while the single-threaded mode's differs.
        cctx = zstandard.ZstdCompressor(
            level=ZSTD_LEVEL, threads=threads, write_checksum=True
        )
        writer: _Compressor = cctx.stream_writer(cast(IO[bytes], sink), closefd=False)
        return writer
    raise ArchiveError(f"no tar compressor for format {kind!r}")


class BlockFeeder:
    """Collects the tar stream and feeds it to the compressor in fixed-size blocks.

    Fixed blocks make the compressor input independent of how :mod:`tarfile` slices
    its writes, so the compressed bytes can only depend on the tar bytes.
    """

    def __init__(
        self, kind: str, sink: HashingSink, threads: int = 1, weight: int = 0
    ) -> None:
        """``weight``: the expected tar size (heavier archives compress first)."""
        self._compressor = _open_compressor(kind, sink, threads, weight)
        self._buffer = bytearray()
        self._offset = 0

    def write(self, data: bytes | bytearray | memoryview) -> int:
        """Accept tar bytes; pass on every complete block."""
        length = len(data)
        self._offset += length
        buffer = self._buffer
        buffer += data
        if len(buffer) >= CHUNK_SIZE:
            view = memoryview(buffer)
            full = len(buffer) - len(buffer) % CHUNK_SIZE
            try:
                for start in range(0, full, CHUNK_SIZE):
                    self._compressor.write(bytes(view[start : start + CHUNK_SIZE]))
            finally:
                view.release()
            del buffer[:full]
        return length

    def tell(self) -> int:
        """Number of tar bytes accepted so far (``tarfile`` asks for it)."""
        return self._offset

    def close(self) -> None:
        """Pass on the last partial block and finish the compressed stream."""
        if self._buffer:
            self._compressor.write(bytes(self._buffer))
            self._buffer.clear()
        self._compressor.close()


class ContentScanner:
    """Finds forbidden byte strings in a stream of chunks, across chunk boundaries."""

    def __init__(self, forbidden: Sequence[bytes]) -> None:
        self._needles = tuple(forbidden)
        self._keep = max((len(n) for n in self._needles), default=1) - 1
        self._tail = b""

    def reset(self) -> None:
        """Start a new stream."""
        self._tail = b""

    def feed(self, chunk: bytes) -> bytes | None:
        """The first forbidden string seen by the end of ``chunk``, else ``None``."""
        for needle in self._needles:
            if needle in chunk:
                return needle
        keep = self._keep
        if keep:
            if self._tail:
                # A match straddling the boundary starts in the tail and ends within
                # the first len(needle) - 1 bytes of the chunk.
                edge = self._tail + chunk[:keep]
                for needle in self._needles:
                    if needle in edge:
                        return needle
            if len(chunk) >= keep:
                self._tail = chunk[-keep:]
            else:
                self._tail = (self._tail + chunk)[-keep:]
        return None


class ScanningReader:
    """Reads a file for an archive member: scans, reports progress, checks the size."""

    def __init__(
        self,
        fh: BinaryIO,
        member: str,
        scanner: ContentScanner | None,
        progress: Callable[[int], None] | None,
    ) -> None:
        self._fh = fh
        self._member = member
        self._scanner = scanner
        self._progress = progress
        if scanner is not None:
            scanner.reset()

    def read(self, size: int = -1) -> bytes:
        """Read up to ``size`` bytes (one chunk when ``size`` is negative)."""
        if size < 0:
            size = CHUNK_SIZE
        cancel.check()  # an interrupted run stops archiving within one chunk
        data = self._fh.read(size)
        if data:
            if self._scanner is not None:
                found = self._scanner.feed(data)
                if found is not None:
                    raise ArchiveError(
                        f"{self._member} contains the forbidden string "
                        f"{os.fsdecode(found)!r}",
                        hint="Archived layers must not refer to the build machine; "
                        "rebuild the layer or exclude the file.",
                    )
            if self._progress is not None:
                self._progress(len(data))
        return data
