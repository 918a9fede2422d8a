"""RECORD files stay true when venvstacks rewrites files or leaves them out."""

from __future__ import annotations

import csv
import os
from pathlib import Path

from venvstacks.layers.records import edit_records, record_hash, update_records

SITE = "lib/python3.11/site-packages"


def make_layer(tmp_path: Path) -> tuple[Path, Path]:
    layer = tmp_path / "layer"
    site = layer / SITE
    (site / "pkg/__pycache__").mkdir(parents=True)
    (site / "pkg/__init__.py").write_text("")
    (site / "pkg/_ext.so").write_bytes(b"old")
    (site / "pkg/__pycache__/x.pyc").write_bytes(b"pyc")
    (site / "pkg-1.0.dist-info").mkdir()
    record = site / "pkg-1.0.dist-info/RECORD"
    record.write_text(
        "pkg/__init__.py,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\n"
        "pkg/_ext.so,sha256=old,3\n"
        "pkg/__pycache__/x.pyc,,\n"
        "pkg-1.0.dist-info/RECORD,,\n"
    )
    return layer, record


def rows(record: Path) -> dict[str, list[str]]:
    return {row[0]: row for row in csv.reader(record.read_text().splitlines()) if row}


def test_rewritten_files_get_their_new_hash_and_size(tmp_path: Path) -> None:
    layer, record = make_layer(tmp_path)
    ext = layer / SITE / "pkg/_ext.so"
    os.link(record, tmp_path / "cache-copy")  # a hard link (uv's cache) keeps its text
    ext.write_bytes(b"patched!")
    assert update_records(layer / SITE, [ext]) == [record]
    assert rows(record)["pkg/_ext.so"][1:] == [*record_hash(ext)[:1], "8"]
    assert "sha256=old" in (tmp_path / "cache-copy").read_text()
    assert update_records(layer / SITE, [ext]) == []  # already true: untouched


def test_files_left_out_lose_their_rows(tmp_path: Path) -> None:
    layer, record = make_layer(tmp_path)
    assert edit_records(layer, SITE, [f"{SITE}/pkg/__pycache__"]) == [record]
    assert sorted(rows(record)) == [
        "pkg-1.0.dist-info/RECORD",
        "pkg/__init__.py",
        "pkg/_ext.so",
    ]
    assert edit_records(layer, SITE, [f"{SITE}/pkg/__pycache__"]) == []
