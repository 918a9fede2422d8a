"""Shipped bytecode: deterministic hash-based .pyc, listed in RECORD."""

from __future__ import annotations

import csv
import importlib.util
import subprocess
import sys
from pathlib import Path

from venvstacks.export.bytecode import compile_layer, record_bytecode

SITE = "lib/python3.x/site-packages"


def _layer(root: Path, name: str = "app-x@1") -> Path:
    layer = root / name
    pkg = layer / SITE / "pkg"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("VALUE = 42\n")
    (pkg / "mod.py").write_text("def f():\n    return 'frog'\n")
    (pkg / "py2.py").write_text("print 'not python 3'\n")
    dist = layer / SITE / "pkg-1.0.dist-info"
    dist.mkdir()
    (dist / "RECORD").write_text(
        "pkg/__init__.py,sha256=abc,11\n"
        "pkg/mod.py,sha256=def,30\n"
        "pkg/py2.py,sha256=ghi,21\n"
        "pkg-1.0.dist-info/RECORD,,\n"
    )
    return layer


def test_compiled_files_are_deterministic_and_unchecked(tmp_path: Path) -> None:
    one = _layer(tmp_path / "a")
    two = _layer(tmp_path / "elsewhere" / "b")
    first = compile_layer(one, Path(sys.executable), [SITE])
    second = compile_layer(two, Path(sys.executable), [SITE])
    tag = sys.implementation.cache_tag
    assert (
        first
        == second
        == [
            f"{SITE}/pkg/__pycache__/__init__.{tag}.pyc",
            f"{SITE}/pkg/__pycache__/mod.{tag}.pyc",
        ]
    )  # py2.py does not compile and is skipped
    for rel in first:
        data = (one / rel).read_bytes()
        assert data == (two / rel).read_bytes()
        assert int.from_bytes(data[4:8], "little") == 0b01  # hash-based, unchecked
        assert str(tmp_path).encode() not in data
        assert b"app-x@1/lib/" in data  # names relative to the deployment folder


def test_unchecked_bytecode_is_used_without_reading_the_source(tmp_path: Path) -> None:
    layer = _layer(tmp_path)
    compile_layer(layer, Path(sys.executable), [SITE])
    (layer / SITE / "pkg" / "mod.py").write_text("def f():\n    return 'toad'\n")
    code = "import pkg.mod; print(pkg.mod.f())"
    env = {"PYTHONPATH": str(layer / SITE), "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "frog"
    assert (
        layer / SITE / "pkg" / "__pycache__" / f"mod.{sys.implementation.cache_tag}.pyc"
    ).read_bytes()[:4] == importlib.util.MAGIC_NUMBER


def test_record_lists_the_bytecode_like_pip(tmp_path: Path) -> None:
    layer = _layer(tmp_path)
    compiled = compile_layer(layer, Path(sys.executable), [SITE])
    (edited,) = record_bytecode(layer, SITE, compiled)
    rows = list(csv.reader(edited.read_text().splitlines()))
    tag = sys.implementation.cache_tag
    assert rows[-2:] == [
        [f"pkg/__pycache__/__init__.{tag}.pyc", "", ""],
        [f"pkg/__pycache__/mod.{tag}.pyc", "", ""],
    ]
    assert record_bytecode(layer, SITE, compiled) == []  # already listed
