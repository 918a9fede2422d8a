"""Compressing one archive on several threads, with bytes that never depend on them.

The tar stream is cut into fixed-size blocks (:data:`XZ_BLOCK_SIZE`,
:data:`GZ_BLOCK_SIZE`); each block is compressed on its own (``lzma`` and ``zlib``
release the GIL, so threads run in parallel) and the results are written in order:

* ``xz``: one ``.xz`` stream holding one xz block per input block, followed by an
  index listing them all, as ``xz --block-size`` writes. Every xz reader (``xz``,
  ``tarfile``, :mod:`lzma`) reads it; readers that decode blocks in parallel could;
* ``gz``: one gzip member per input block (RFC 1952 allows a file of several
  members; ``gzip``, ``tarfile`` and :mod:`gzip` read them as one stream). Deflate
  only looks 32 KiB back, so independent blocks cost almost nothing.

Each block's bytes depend only on its input, so the archive is the same with one
thread or eight.
"""

from __future__ import annotations

import itertools
import lzma
import os
import queue
import struct
import threading
import zlib
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import Protocol

from venvstacks import cancel

#: Uncompressed bytes per xz block: three times the dictionary of preset 6, as
#: ``xz -T`` chooses.
XZ_BLOCK_SIZE = 24 << 20
#: Uncompressed bytes per gzip member.
GZ_BLOCK_SIZE = 16 << 20

_XZ_MAGIC = b"\xfd7zXZ\x00"
_XZ_FOOTER_MAGIC = b"YZ"
_XZ_CHECK_CRC64 = 0x04


class _Sink(Protocol):
    def write(self, data: bytes) -> object: ...


class _PriorityPool:
    """Compression threads taking the most urgent block first (then the oldest).

    Blocks of the largest archive go first: when several archives are written at
    once, the small ones fill the CPUs the largest leaves idle (between its blocks
    and at its end) instead of finishing early and leaving its last blocks alone.
    Only the order of work changes, never a block's bytes.
    """

    def __init__(self, workers: int) -> None:
        self._queue: queue.PriorityQueue[
            tuple[int, int, Future[bytes], Callable[[bytes], bytes], bytes]
        ] = queue.PriorityQueue()
        self._order = itertools.count()
        for index in range(workers):
            threading.Thread(
                target=self._work, name=f"venvstacks-compress-{index}", daemon=True
            ).start()

    def submit(
        self, priority: int, compress: Callable[[bytes], bytes], block: bytes
    ) -> Future[bytes]:
        """Queue one block; lower ``priority`` values run first."""
        future: Future[bytes] = Future()
        self._queue.put((priority, next(self._order), future, compress, block))
        return future

    def _work(self) -> None:
        while True:
            _priority, _order, future, compress, block = self._queue.get()
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(compress(block))
            except BaseException as exc:  # handed to the archive's writer
                future.set_exception(exc)
            del block


def _shared_pool() -> _PriorityPool:
    """One pool of compression threads (one per CPU) shared by every archive.

    Archives written in parallel share it, so the process never compresses more
    blocks at once than it has CPUs, however many archives are written.
    """
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = _PriorityPool(max(1, os.cpu_count() or 1))
        return _POOL


_POOL: _PriorityPool | None = None
_POOL_LOCK = threading.Lock()


class BlockCompressor:
    """Compresses fixed-size blocks on the shared pool; writes results in order.

    ``write`` accepts data of any length; ``close`` compresses the last (short)
    block, writes everything and the format's trailer. ``threads`` is how many
    blocks of this archive may be in the pool at once (1: compress inline);
    ``weight`` (the archive's expected input size) puts the blocks of heavier
    archives first in the shared pool.
    """

    def __init__(
        self,
        sink: _Sink,
        block_size: int,
        compress: Callable[[bytes], bytes],
        threads: int,
        weight: int = 0,
    ) -> None:
        self._priority = -weight
        self._sink = sink
        self._block_size = block_size
        self._compress = compress
        self._buffer = bytearray()
        self._threads = max(1, threads)
        self._pending: deque[Future[bytes]] = deque()
        self._submitted = 0
        #: Whether an empty input is still written as one (empty) block.
        self.empty_block = False

    def write(self, data: bytes) -> int:
        """Accept bytes; compress every complete block."""
        self._buffer += data
        size = self._block_size
        while len(self._buffer) >= size:
            block = bytes(self._buffer[:size])
            del self._buffer[:size]
            self._submit(block)
        return len(data)

    def close(self) -> None:
        """Compress the last block and write everything still pending."""
        try:
            if self._buffer or (self.empty_block and not self._submitted):
                self._submit(bytes(self._buffer))
                self._buffer.clear()
            while self._pending:
                self._emit(self._pending.popleft().result())
            self.finish()
        finally:
            for future in self._pending:
                future.cancel()

    def _submit(self, block: bytes) -> None:
        self._submitted += 1
        if self._threads == 1:
            self._emit(self._compress(block))
            return
        # Bounded memory: wait for the oldest block before queueing too many.
        while len(self._pending) >= self._threads:
            self._emit(self._pending.popleft().result())
        self._pending.append(_shared_pool().submit(self._priority, self._compress, block))

    def _emit(self, compressed: bytes) -> None:
        self._sink.write(compressed)

    def finish(self) -> None:
        """Write the format's trailer (nothing by default)."""


#: Bytes fed to a compressor at a time: an interrupted run stops between pieces.
_PIECE = 256 << 10


class _Compressing(Protocol):
    def compress(self, data: bytes, /) -> bytes: ...

    def flush(self) -> bytes: ...


def _in_pieces(compressor: _Compressing, data: bytes) -> bytes:
    """``compressor.compress(data) + compressor.flush()``, checking for interrupts.

    Feeding a stream compressor piece by piece gives the same bytes as one call.
    """
    view = memoryview(data)
    out = []
    for start in range(0, len(data), _PIECE):
        cancel.check()
        out.append(compressor.compress(bytes(view[start : start + _PIECE])))
    out.append(compressor.flush())
    return b"".join(out)


def _gzip_member(data: bytes, level: int) -> bytes:
    """One complete gzip member: fixed header (no name, mtime 0), deflate, trailer."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS, 9)
    body = _in_pieces(compressor, data)
    xfl = 2 if level == 9 else (4 if level == 1 else 0)
    header = b"\x1f\x8b\x08\x00" + b"\x00\x00\x00\x00" + bytes([xfl, 255])
    trailer = struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)
    return header + body + trailer


class GzipBlocks(BlockCompressor):
    """gzip as one member per block."""

    def __init__(
        self,
        sink: _Sink,
        level: int,
        threads: int,
        block_size: int | None = None,
        weight: int = 0,
    ) -> None:
        super().__init__(
            sink,
            block_size or GZ_BLOCK_SIZE,
            lambda data: _gzip_member(data, level),
            threads,
            weight,
        )
        self.empty_block = True  # like gzip, an empty input is one empty member


def _varint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _read_varint(data: bytes, offset: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[offset]
        offset += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, offset
        shift += 7


def _xz_block(data: bytes, preset: int) -> tuple[bytes, int, int]:
    """Compress ``data`` as one xz block: (block bytes, unpadded size, uncompressed size).

    liblzma writes a complete one-block stream; the block is cut out of it and its
    sizes read from that stream's index.
    """
    stream = _in_pieces(
        lzma.LZMACompressor(format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC64, preset=preset),
        data,
    )
    (backward,) = struct.unpack_from("<I", stream, len(stream) - 8)
    index_start = len(stream) - 12 - (backward + 1) * 4
    block = stream[12:index_start]
    if stream[index_start] != 0:
        raise ValueError("unexpected xz stream layout from liblzma")
    count, offset = _read_varint(stream, index_start + 1)
    if count != 1:
        if count == 0 and not data:
            return b"", 0, 0
        raise ValueError("unexpected xz index from liblzma")
    unpadded, offset = _read_varint(stream, offset)
    uncompressed, _ = _read_varint(stream, offset)
    return block, unpadded, uncompressed


class XzBlocks(BlockCompressor):
    """One ``.xz`` stream (CRC64 checks) made of independently compressed blocks."""

    def __init__(
        self,
        sink: _Sink,
        preset: int,
        threads: int,
        block_size: int | None = None,
        weight: int = 0,
    ) -> None:
        self._records: list[tuple[int, int]] = []
        self._preset = preset
        super().__init__(
            sink, block_size or XZ_BLOCK_SIZE, self._compress_block, threads, weight
        )
        flags = bytes([0, _XZ_CHECK_CRC64])
        self._flags = flags
        sink.write(_XZ_MAGIC + flags + struct.pack("<I", zlib.crc32(flags)))

    def _compress_block(self, data: bytes) -> bytes:
        block, unpadded, uncompressed = _xz_block(data, self._preset)
        # Carry the sizes along with the bytes (decoded in _emit, in order).
        return struct.pack("<QQ", unpadded, uncompressed) + block

    def _emit(self, compressed: bytes) -> None:
        unpadded, uncompressed = struct.unpack_from("<QQ", compressed)
        if uncompressed:
            self._records.append((unpadded, uncompressed))
            self._sink.write(compressed[16:])

    def finish(self) -> None:
        """Write the index of every block and the stream footer."""
        index = bytearray(b"\x00")
        index += _varint(len(self._records))
        for unpadded, uncompressed in self._records:
            index += _varint(unpadded) + _varint(uncompressed)
        index += b"\x00" * (-len(index) % 4)
        index += struct.pack("<I", zlib.crc32(index))
        self._sink.write(bytes(index))
        backward = struct.pack("<I", len(index) // 4 - 1)
        footer_crc = struct.pack("<I", zlib.crc32(backward + self._flags))
        self._sink.write(footer_crc + backward + self._flags + _XZ_FOOTER_MAGIC)
