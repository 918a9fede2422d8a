"""Deterministic layer archives: identical bytes, safe symlinks, round trips."""

from __future__ import annotations

import io
import os
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import pytest
import zstandard

from venvstacks.archive import (
    FORMATS,
    SUFFIXES,
    ArchiveFormat,
    archive_format,
    archive_name,
    unpack_archive,
    write_archive,
)
from venvstacks.archive import unpack as unpack_module
from venvstacks.archive._streams import CHUNK_SIZE, ContentScanner
from venvstacks.errors import ArchiveError

from .test_archive_support import (
    TreeSpec,
    create_tree,
    modes,
    sample_spec,
    snapshot,
    spec_snapshot,
)

MTIME = 1_700_000_000


def _write(source: Path, out_dir: Path, fmt: ArchiveFormat, **kwargs: Any) -> bytes:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / archive_name("layer@1", fmt)
    result = write_archive(source, path, fmt, mtime=MTIME, top_name="layer@1", **kwargs)
    data = path.read_bytes()
    assert result.size == len(data)
    return data


# -- formats -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("xz", "xz"),
        ("tar.xz", "xz"),
        (".tar.xz", "xz"),
        ("GZ", "gz"),
        ("gzip", "gz"),
        (".tar.gz", "gz"),
        ("zstd", "zst"),
        ("tar.zst", "zst"),
        (".tar.zst", "zst"),
        ("zip", "zip"),
        (".zip", "zip"),
    ],
)
def test_archive_format_accepts_names_and_suffixes(value: str, expected: str) -> None:
    assert archive_format(value) == expected


def test_archive_format_error_names_allowed_values() -> None:
    with pytest.raises(ArchiveError) as info:
        archive_format("rar")
    text = str(info.value)
    assert "rar" in text and all(repr(name) in text for name in FORMATS)


def test_suffixes() -> None:
    assert SUFFIXES == {"xz": ".tar.xz", "gz": ".tar.gz", "zst": ".tar.zst", "zip": ".zip"}


# -- determinism -------------------------------------------------------------


@pytest.fixture(scope="module")
def two_trees(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("trees")
    spec = sample_spec()
    first = create_tree(base / "one" / "layer", spec, seed=1, mtime=1_500_000_000)
    second = create_tree(
        base / "two" / "other-name",
        spec,
        seed=2,
        mtime=1_650_000_000,
        loose_modes=True,
        use_hardlinks=False,
    )
    return first, second


@pytest.mark.parametrize("fmt", FORMATS)
def test_same_tree_gives_identical_bytes(
    two_trees: tuple[Path, Path], tmp_path: Path, fmt: ArchiveFormat
) -> None:
    """Creation order, file times, group/other bits and hard links never matter."""
    first, second = two_trees
    one = _write(first, tmp_path / "a", fmt)
    again = _write(first, tmp_path / "b", fmt)
    two = _write(second, tmp_path / "c", fmt)
    assert one == again == two


@pytest.mark.parametrize("fmt", FORMATS)
def test_mtime_and_content_change_the_bytes(
    two_trees: tuple[Path, Path], tmp_path: Path, fmt: ArchiveFormat
) -> None:
    first, _ = two_trees
    one = _write(first, tmp_path / "a", fmt)
    path = tmp_path / "b" / "x"
    path.parent.mkdir()
    write_archive(first, path, fmt, mtime=MTIME + 2, top_name="layer@1")
    assert path.read_bytes() != one


@pytest.mark.parametrize("fmt", ["xz", "gz", "zst"])
def test_tar_members_are_normalised_and_sorted(
    two_trees: tuple[Path, Path], tmp_path: Path, fmt: ArchiveFormat
) -> None:
    first, _ = two_trees
    data = _write(first, tmp_path, fmt)
    raw = _decompress(data, fmt)
    with tarfile.open(fileobj=io.BytesIO(raw), mode="r:") as tar:
        members = tar.getmembers()
        assert tar.pax_headers == {}
    names = [m.name for m in members]
    assert names[0] == "layer@1"
    assert all(name.startswith("layer@1/") for name in names[1:])
    assert names == sorted(names, key=os.fsencode)
    for member in members:
        assert (member.uid, member.gid, member.uname, member.gname) == (0, 0, "", "")
        assert member.mtime == MTIME
        assert member.type in (tarfile.DIRTYPE, tarfile.REGTYPE, tarfile.SYMTYPE)
        assert not set(member.pax_headers) - {"path", "linkpath"}
        if member.isdir():
            assert member.mode == 0o755
        elif member.issym():
            assert member.mode == 0o777
        else:
            assert member.mode in (0o644, 0o755)
    by_name = {m.name: m for m in members}
    assert by_name["layer@1/bin/run"].mode == 0o755
    assert by_name["layer@1/lib/copy.bin"].isreg()  # hard link stored as a file
    assert by_name["layer@1/lib/copy.bin"].size == by_name["layer@1/lib/big.bin"].size
    assert by_name["layer@1/bin/python3.11"].linkname == "../../cpython-3.11/bin/python3.11"
    assert "layer@1/empty" in by_name


def test_zip_entries_are_normalised(two_trees: tuple[Path, Path], tmp_path: Path) -> None:
    first, _ = two_trees
    data = _write(first, tmp_path, "zip")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
        assert infos[0].filename == "layer@1/"
        names = [info.filename.rstrip("/") for info in infos]
        assert names == sorted(names, key=os.fsencode)
        for info in infos:
            assert info.create_system == 3
            assert info.date_time == (2023, 11, 14, 22, 13, 20)
            assert info.extra == b""
        by_name = {info.filename: info for info in infos}
        assert by_name["layer@1/bin/run"].external_attr >> 16 == 0o100755
        assert by_name["layer@1/a.txt"].external_attr >> 16 == 0o100644
        assert by_name["layer@1/empty/"].external_attr >> 16 == 0o40755
        link = by_name["layer@1/bin/a-link"]
        assert link.external_attr >> 16 == 0o120777
        assert archive.read(link) == b"../a.txt"
        assert by_name["layer@1/a.txt"].compress_type == zipfile.ZIP_DEFLATED


@pytest.mark.parametrize(("mtime", "year"), [(0, 1980), (5_000_000_000, 2107)])
def test_zip_dates_are_clamped(tmp_path: Path, mtime: int, year: int) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "f").write_text("x")
    path = tmp_path / "a.zip"
    write_archive(tmp_path / "src", path, "zip", mtime=mtime)
    with zipfile.ZipFile(path) as archive:
        assert {info.date_time[0] for info in archive.infolist()} == {year}


def test_zstd_thread_count_does_not_change_the_bytes(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    words = [f"word{i}".encode() for i in range(5000)]
    (source / "data").write_bytes(
        b" ".join(words[(i * 7919) % 5000] for i in range(800_000))
    )
    single = write_archive(source, tmp_path / "1.tar.zst", "zst", mtime=MTIME, threads=1)
    several = write_archive(source, tmp_path / "3.tar.zst", "zst", mtime=MTIME, threads=3)
    auto = write_archive(source, tmp_path / "0.tar.zst", "zst", mtime=MTIME, threads=0)
    assert single.sha256 == several.sha256 == auto.sha256


def _decompress(data: bytes, fmt: str) -> bytes:
    if fmt == "xz":
        import lzma

        return lzma.decompress(data)
    if fmt == "gz":
        import gzip

        return gzip.decompress(data)
    reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data))
    return reader.read()


def test_result_reports_digest_and_counts(tmp_path: Path) -> None:
    import hashlib

    spec = sample_spec()
    source = create_tree(tmp_path / "layer", spec)
    seen: list[int] = []
    result = write_archive(
        source, tmp_path / "x.tar.gz", "gz", mtime=MTIME, progress=seen.append
    )
    data = result.path.read_bytes()
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert result.file_count == len(spec.files) + len(spec.links)
    assert sum(seen) == sum(len(content) for content, _ in spec.files.values())


# -- round trips -------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("data_filter", [True, False], ids=["filter", "fallback"])
def test_unpack_restores_the_tree(
    two_trees: tuple[Path, Path],
    tmp_path: Path,
    fmt: ArchiveFormat,
    data_filter: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if data_filter and not unpack_module.HAS_DATA_FILTER:
        pytest.skip("this Python's tarfile has no extraction filters")
    monkeypatch.setattr(unpack_module, "HAS_DATA_FILTER", data_filter)
    first, _ = two_trees
    path = tmp_path / ("layer@1" + SUFFIXES[fmt])
    write_archive(first, path, fmt, mtime=MTIME, top_name="layer@1")
    deployed = tmp_path / "deploy 🐸"
    top = unpack_archive(path, deployed)
    assert top == deployed / "layer@1"
    assert snapshot(top) == spec_snapshot(sample_spec())
    assert [p.name for p in deployed.iterdir()] == ["layer@1"]  # no staging left
    file_modes = {
        name: mode for name, mode in modes(top).items() if not (top / name).is_dir()
    }
    assert file_modes["bin/run"] == 0o755
    assert set(file_modes.values()) == {0o644, 0o755}
    # Re-archiving the unpacked tree gives the same bytes again.
    again = tmp_path / "again" / path.name
    again.parent.mkdir()
    write_archive(top, again, fmt, mtime=MTIME)
    assert again.read_bytes() == path.read_bytes()


def test_unpack_refuses_an_existing_layer(tmp_path: Path) -> None:
    from venvstacks.errors import DeployError

    source = create_tree(tmp_path / "layer", sample_spec())
    path = tmp_path / "layer.tar.zst"
    write_archive(source, path, "zst", mtime=MTIME)
    unpack_archive(path, tmp_path / "deploy")
    with pytest.raises(DeployError, match="already exists"):
        unpack_archive(path, tmp_path / "deploy")


# -- symlinks and special files ----------------------------------------------


def _tree_with_link(tmp_path: Path, name: str, target: str) -> Path:
    source = tmp_path / "deploy" / "layer"
    (source / "bin").mkdir(parents=True)
    (source / name).symlink_to(target)
    return source


@pytest.mark.parametrize(
    ("name", "target"),
    [
        ("bin/abs", "/usr/bin/python3"),
        ("bin/up", "../../../elsewhere"),
        ("top", "../.."),
        ("bin/detour", "../../../deploy/layer/a"),  # leaves the folder on the way
    ],
)
@pytest.mark.parametrize("fmt", ["gz", "zip"])
def test_unsafe_symlinks_are_refused(
    tmp_path: Path, name: str, target: str, fmt: ArchiveFormat
) -> None:
    source = _tree_with_link(tmp_path, name, target)
    path = tmp_path / "out.bin"
    with pytest.raises(ArchiveError) as info:
        write_archive(source, path, fmt, mtime=MTIME)
    assert f"layer/{name}" in str(info.value)
    assert not path.exists() and list(tmp_path.glob(".out.bin*")) == []


@pytest.mark.parametrize(
    "target", ["../../other-layer/bin/python3.11", "..", "../x/../layer/bin", "./."]
)
def test_links_within_the_deployment_folder_are_fine(tmp_path: Path, target: str) -> None:
    source = _tree_with_link(tmp_path, "bin/link", target)
    result = write_archive(source, tmp_path / "x.zip", "zip", mtime=MTIME)
    assert result.file_count == 1


def test_special_files_are_refused(tmp_path: Path) -> None:
    source = tmp_path / "layer"
    source.mkdir()
    os.mkfifo(source / "pipe")
    with pytest.raises(ArchiveError, match="layer/pipe"):
        write_archive(source, tmp_path / "x.tar.gz", "gz", mtime=MTIME)


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    source = tmp_path / "layer"
    source.mkdir()
    with pytest.raises(ArchiveError, match="inside the folder"):
        write_archive(source, source / "x.zip", "zip", mtime=MTIME)
    with pytest.raises(ArchiveError, match="top folder"):
        write_archive(source, tmp_path / "x.zip", "zip", mtime=MTIME, top_name="a/b")
    with pytest.raises(ArchiveError, match="mtime"):
        write_archive(source, tmp_path / "x.zip", "zip", mtime=-1)
    with pytest.raises(ArchiveError, match="not a folder"):
        write_archive(tmp_path / "missing", tmp_path / "x.zip", "zip", mtime=MTIME)
    with pytest.raises(ArchiveError, match="empty"):
        write_archive(source, tmp_path / "x.zip", "zip", mtime=MTIME, forbidden=[b""])
    with pytest.raises(ArchiveError, match="format"):
        write_archive(source, tmp_path / "x.zip", "rar", mtime=MTIME)  # type: ignore[arg-type]


# -- forbidden strings, exclusion, interruption -------------------------------


@pytest.mark.parametrize("fmt", ["zst", "zip"])
@pytest.mark.parametrize("offset", [-3, -11, 0, 500])
def test_forbidden_strings_are_found_across_chunks(
    tmp_path: Path, fmt: ArchiveFormat, offset: int
) -> None:
    needle = b"/build/secret-folder"
    data = bytearray(b"a" * (CHUNK_SIZE * 2))
    start = CHUNK_SIZE + offset
    data[start : start + len(needle)] = needle
    source = tmp_path / "layer"
    (source / "lib").mkdir(parents=True)
    (source / "lib" / "clean.txt").write_bytes(b"/build/secret")
    (source / "lib" / "data.bin").write_bytes(bytes(data))
    path = tmp_path / "out.archive"
    with pytest.raises(ArchiveError) as info:
        write_archive(source, path, fmt, mtime=MTIME, forbidden=[b"zzz", needle])
    assert "layer/lib/data.bin" in str(info.value)
    assert "/build/secret-folder" in str(info.value)
    assert not path.exists() and list(tmp_path.glob(".out.archive*")) == []


def test_content_scanner_handles_every_split() -> None:
    needle = b"abcdef"
    text = b"xx" + needle + b"yy"
    for first in range(len(text) + 1):
        for second in range(first, len(text) + 1):
            scanner = ContentScanner([b"q", needle])
            found = [scanner.feed(part) for part in (text[:first], text[first:second])]
            found.append(scanner.feed(text[second:]))
            assert needle in found, (first, second)
    scanner = ContentScanner([needle])
    assert scanner.feed(b"abc") is None
    scanner.reset()
    assert scanner.feed(b"def") is None


def test_exclude_skips_entries_and_subtrees(tmp_path: Path) -> None:
    source = create_tree(tmp_path / "layer", sample_spec())
    (source / "lib" / "__pycache__").mkdir()
    (source / "lib" / "__pycache__" / "x.pyc").write_bytes(b"/build/secret")
    seen: list[str] = []

    def exclude(name: str) -> bool:
        seen.append(name)
        return name.endswith("__pycache__") or name in ("bin/a-link", "sp ace 🐸")

    path = tmp_path / "x.tar.xz"
    write_archive(
        source, path, "xz", mtime=MTIME, exclude=exclude, forbidden=[b"/build/secret"]
    )
    assert "lib/__pycache__" in seen and "lib/__pycache__/x.pyc" not in seen
    with tarfile.open(path) as tar:
        names = tar.getnames()
    assert "layer/lib/big.bin" in names
    assert not [n for n in names if "__pycache__" in n or "🐸" in n or "a-link" in n]


@pytest.mark.parametrize("fmt", FORMATS)
def test_interrupted_writes_leave_no_archive(tmp_path: Path, fmt: ArchiveFormat) -> None:
    source = create_tree(tmp_path / "layer", sample_spec())
    path = tmp_path / "out" / "layer.archive"
    path.parent.mkdir()

    def failing_exclude(name: str) -> bool:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_archive(source, path, fmt, mtime=MTIME, exclude=failing_exclude)
    assert list(path.parent.iterdir()) == []

    def failing_progress(size: int) -> None:
        raise RuntimeError("stop")

    path.write_bytes(b"previous archive")
    with pytest.raises(RuntimeError, match="stop"):
        write_archive(source, path, fmt, mtime=MTIME, progress=failing_progress)
    assert list(path.parent.iterdir()) == [path]
    assert path.read_bytes() == b"previous archive"


def test_parallel_writes_match_serial_ones(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    source = create_tree(tmp_path / "layer", sample_spec())
    serial = {
        fmt: write_archive(source, tmp_path / f"s{SUFFIXES[fmt]}", fmt, mtime=MTIME).sha256
        for fmt in FORMATS
    }
    with ThreadPoolExecutor(4) as pool:
        futures = {
            fmt: pool.submit(
                write_archive, source, tmp_path / f"p{SUFFIXES[fmt]}", fmt, mtime=MTIME
            )
            for fmt in FORMATS
        }
        parallel = {fmt: future.result().sha256 for fmt, future in futures.items()}
    assert parallel == serial


def test_spec_snapshot_matches_created_tree(tmp_path: Path) -> None:
    spec = TreeSpec(files={"a/b": (b"x", True)}, links={"c": "a/b"}, dirs={"d/e"})
    assert snapshot(create_tree(tmp_path / "t", spec)) == spec_snapshot(spec)
