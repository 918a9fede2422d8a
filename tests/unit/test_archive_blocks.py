"""Block-parallel xz and gz: same bytes for any thread count, readable by every reader."""

from __future__ import annotations

import gzip
import io
import lzma
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from venvstacks.archive import write_archive
from venvstacks.archive._blocks import GzipBlocks, XzBlocks

MTIME = 1_700_000_000


def _compress(kind: str, pieces: list[bytes], threads: int, block_size: int) -> bytes:
    out = io.BytesIO()
    cls = XzBlocks if kind == "xz" else GzipBlocks
    compressor = cls(out, 6, threads, block_size=block_size)
    for piece in pieces:
        compressor.write(piece)
    compressor.close()
    return out.getvalue()


@settings(max_examples=40, deadline=None)
@given(
    kind=st.sampled_from(["xz", "gz"]),
    pieces=st.lists(
        st.one_of(
            st.binary(max_size=700),
            st.binary(min_size=1, max_size=3).map(lambda b: b * 400),
        ),
        max_size=8,
    ),
    block_size=st.integers(1, 1500),
    threads=st.integers(2, 4),
)
def test_bytes_do_not_depend_on_threads_and_round_trip(
    kind: str, pieces: list[bytes], block_size: int, threads: int
) -> None:
    single = _compress(kind, pieces, 1, block_size)
    several = _compress(kind, pieces, threads, block_size)
    assert single == several
    data = b"".join(pieces)
    if kind == "xz":
        assert lzma.decompress(single) == data
    else:
        assert gzip.decompress(single) == data
    # How the input is sliced does not matter either.
    assert _compress(kind, [data], threads, block_size) == single


@pytest.mark.parametrize("kind", ["xz", "gz"])
def test_command_line_tools_read_multi_block_streams(kind: str, tmp_path: Path) -> None:
    tool = "xz" if kind == "xz" else "gzip"
    if shutil.which(tool) is None:
        pytest.skip(f"needs {tool}")
    data = b"".join(f"line {i} of the frog\n".encode() for i in range(60_000))
    path = tmp_path / f"data.{kind}"
    path.write_bytes(_compress(kind, [data], 3, 100_000))
    subprocess.run([tool, "-t", str(path)], check=True)
    result = subprocess.run([tool, "-dc", str(path)], check=True, capture_output=True)
    assert result.stdout == data
    if kind == "xz":
        listing = subprocess.run(
            ["xz", "--robot", "-l", str(path)], check=True, capture_output=True, text=True
        ).stdout
        totals = next(
            line.split("\t") for line in listing.splitlines() if line.startswith("totals")
        )
        assert int(totals[2]) == -(-len(data) // 100_000)  # blocks


@pytest.mark.parametrize("fmt", ["xz", "gz"])
def test_archives_are_the_same_for_any_thread_count(
    fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import venvstacks.archive._blocks as blocks

    monkeypatch.setattr(blocks, "XZ_BLOCK_SIZE", 64 << 10)
    monkeypatch.setattr(blocks, "GZ_BLOCK_SIZE", 64 << 10)
    source = tmp_path / "src"
    (source / "pkg").mkdir(parents=True)
    for index in range(40):
        (source / "pkg" / f"m{index}.py").write_text(f"VALUE = {index!r}\n" * 500)
    results = [
        write_archive(source, tmp_path / f"{n}.tar.{fmt}", fmt, mtime=MTIME, threads=n)
        for n in (1, 2, 0)
    ]
    assert len({r.sha256 for r in results}) == 1
    if fmt == "xz":
        with lzma.open(results[0].path) as stream:
            stream.read()
        listing = subprocess.run(
            ["xz", "--robot", "-l", str(results[0].path)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        assert "totals\t1\t1\t" not in listing  # several blocks
    with tarfile.open(results[0].path) as archive:
        names = archive.getnames()
    assert "src/pkg/m39.py" in names


def test_blocks_of_heavier_archives_are_compressed_first() -> None:
    import threading

    from venvstacks.archive._blocks import _PriorityPool

    pool = _PriorityPool(1)
    gate = threading.Event()
    ran: list[bytes] = []

    def blocked(data: bytes) -> bytes:
        gate.wait(10)
        return data

    def record(data: bytes) -> bytes:
        ran.append(data)
        return data

    first = pool.submit(0, blocked, b"busy")  # holds the only worker
    light = [pool.submit(-1, record, b"light-%d" % i) for i in range(2)]
    heavy = [pool.submit(-100, record, b"heavy-%d" % i) for i in range(2)]
    gate.set()
    assert [f.result(10) for f in [first, *light, *heavy]]
    assert ran == [b"heavy-0", b"heavy-1", b"light-0", b"light-1"]
