"""Unpacking refuses unsafe archives, the same way with and without tarfile filters."""

from __future__ import annotations

import io
import stat
import tarfile
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import zstandard

from venvstacks.archive import unpack as unpack_module
from venvstacks.archive import unpack_archive
from venvstacks.errors import DeployError

Member = tuple[str, str, str]  # (kind, name, data or link target)


@pytest.fixture(params=[True, False], ids=["filter", "fallback"])
def data_filter(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[bool]:
    if request.param and not unpack_module.HAS_DATA_FILTER:
        pytest.skip("this Python's tarfile has no extraction filters")
    monkeypatch.setattr(unpack_module, "HAS_DATA_FILTER", request.param)
    yield request.param


def _tar(path: Path, members: list[Member], compress: str = "gz") -> Path:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for kind, name, data in members:
            info = tarfile.TarInfo(name)
            info.mode = 0o755 if kind == "exec" else 0o644
            if kind == "dir":
                info.type = tarfile.DIRTYPE
            elif kind == "sym":
                info.type, info.linkname, info.mode = tarfile.SYMTYPE, data, 0o777
            elif kind == "hard":
                info.type, info.linkname = tarfile.LNKTYPE, data
            elif kind == "chr":
                info.type = tarfile.CHRTYPE
            elif kind == "fifo":
                info.type = tarfile.FIFOTYPE
            if kind in ("file", "exec"):
                info.size = len(data.encode())
                tar.addfile(info, io.BytesIO(data.encode()))
            else:
                tar.addfile(info)
    if compress == "gz":
        import gzip

        path.write_bytes(gzip.compress(raw.getvalue()))
    elif compress == "xz":
        import lzma

        path.write_bytes(lzma.compress(raw.getvalue()))
    else:
        path.write_bytes(zstandard.ZstdCompressor().compress(raw.getvalue()))
    return path


def _zip(path: Path, members: list[Member]) -> Path:
    with warnings.catch_warnings(), zipfile.ZipFile(path, "w") as archive:
        warnings.simplefilter("ignore", UserWarning)  # duplicate names, on purpose
        for kind, name, data in members:
            info = zipfile.ZipInfo(name)
            info.create_system = 3
            mode = {
                "dir": stat.S_IFDIR | 0o755,
                "sym": stat.S_IFLNK | 0o777,
                "exec": stat.S_IFREG | 0o755,
                "fifo": stat.S_IFIFO | 0o644,
            }.get(kind, stat.S_IFREG | 0o644)
            info.external_attr = mode << 16
            archive.writestr(info, data)
    return path


GOOD: list[Member] = [
    ("dir", "layer", ""),
    ("dir", "layer/bin", ""),
    ("exec", "layer/bin/run", "#!/bin/sh\n"),
    ("file", "layer/a.txt", "a"),
    ("sym", "layer/bin/python", "../../rt/bin/python3"),
    ("sym", "layer/bin/a", "../a.txt"),
]

BAD: dict[str, tuple[list[Member], str]] = {
    "absolute name": ([("file", "/tmp/evil", "x")], "absolute path"),
    "dotdot name": ([*GOOD, ("file", "layer/../evil", "x")], "'..'"),
    "absolute link": ([*GOOD, ("sym", "layer/evil", "/etc/passwd")], "absolute path"),
    "escaping link": ([*GOOD, ("sym", "layer/bin/evil", "../../../x")], "outside"),
    "write through link": (
        [*GOOD, ("sym", "layer/up", ".."), ("file", "layer/up/other/x", "x")],
        "through a symlink",
    ),
    "second top folder": ([*GOOD, ("file", "other/x", "x")], "top folder"),
    "no top folder": ([("file", "x", "x")], "top folder"),
    "fifo": ([*GOOD, ("fifo", "layer/pipe", "")], "special file"),
    "duplicate": ([*GOOD, ("file", "layer/a.txt", "b")], "more than once"),
}


@pytest.mark.parametrize("case", list(BAD))
@pytest.mark.parametrize("fmt", ["gz", "xz", "zst", "zip"])
def test_unsafe_archives_are_refused(
    tmp_path: Path, data_filter: bool, case: str, fmt: str
) -> None:
    members, message = BAD[case]
    if fmt == "zip":
        archive = _zip(tmp_path / "bad.zip", members)
    else:
        archive = _tar(tmp_path / "bad.tar", members, fmt)
    dest = tmp_path / "deploy"
    with pytest.raises(DeployError, match=message):
        unpack_archive(archive, dest)
    assert list(dest.iterdir()) == []  # nothing left behind, not even the staging
    assert not (tmp_path / "evil").exists() and not (tmp_path / "x").exists()


def test_device_files_are_refused(tmp_path: Path, data_filter: bool) -> None:
    archive = _tar(tmp_path / "bad.tar", [*GOOD, ("chr", "layer/dev", "")])
    with pytest.raises(DeployError, match="special file"):
        unpack_archive(archive, tmp_path / "deploy")


@pytest.mark.parametrize("fmt", ["gz", "zip"])
def test_foreign_archives_unpack_like_ours(
    tmp_path: Path, data_filter: bool, fmt: str
) -> None:
    members = [*GOOD, ("hard", "layer/b.txt", "layer/a.txt")] if fmt != "zip" else GOOD
    if fmt == "zip":
        archive = _zip(tmp_path / "ok.zip", members)
    else:
        archive = _tar(tmp_path / "ok.tar", members)
    top = unpack_archive(archive, tmp_path / "deploy")
    assert (top / "bin" / "run").stat().st_mode & 0o777 == 0o755
    assert (top / "a.txt").stat().st_mode & 0o777 == 0o644
    assert (top / "bin" / "python").readlink() == Path("../../rt/bin/python3")
    assert (top / "bin" / "a").read_text() == "a"
    if fmt != "zip":
        assert (top / "b.txt").stat().st_ino == (top / "a.txt").stat().st_ino


def test_hard_links_must_point_to_earlier_files(tmp_path: Path, data_filter: bool) -> None:
    archive = _tar(tmp_path / "bad.tar", [*GOOD, ("hard", "layer/b", "layer/missing")])
    with pytest.raises(DeployError, match="hard link"):
        unpack_archive(archive, tmp_path / "deploy")


def test_not_an_archive(tmp_path: Path) -> None:
    path = tmp_path / "x.tar.gz"
    path.write_bytes(b"hello world")
    with pytest.raises(DeployError, match="not a"):
        unpack_archive(path, tmp_path / "deploy")
    path.write_bytes(b"\x1f\x8b" + b"\0" * 30)
    with pytest.raises(DeployError, match="cannot unpack"):
        unpack_archive(path, tmp_path / "deploy")
    assert list((tmp_path / "deploy").iterdir()) == []
