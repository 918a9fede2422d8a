"""Keeping installed wheels' ``RECORD`` files true: files rewritten or left out."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import os
from collections.abc import Iterable
from pathlib import Path

from venvstacks.fsutil import write_text_if_changed


def _read_rows(record: Path) -> list[list[str]]:
    return [row for row in csv.reader(io.StringIO(record.read_text("utf-8"))) if row]


def _write_rows(record: Path, rows: Iterable[list[str]]) -> None:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    write_text_if_changed(record, out.getvalue())


def record_hash(path: Path) -> tuple[str, int]:
    """The ``sha256=…`` field and the size of a file, as RECORD spells them."""
    with open(path, "rb") as stream:
        digest = hashlib.file_digest(stream, "sha256").digest()
    encoded = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return f"sha256={encoded}", path.stat().st_size


def update_records(site_dir: Path, changed: Iterable[Path]) -> list[Path]:
    """Give every RECORD row naming a changed file its new hash and size.

    :param site_dir: the site-packages holding the ``*.dist-info`` folders.
    :param changed: absolute paths of the rewritten files.
    :return: the RECORD files rewritten (replaced, never written through).
    """
    wanted = {os.path.normpath(path): path for path in changed}
    if not wanted:
        return []
    edited = []
    for record in sorted(site_dir.glob("*.dist-info/RECORD")):
        rows = _read_rows(record)
        touched = False
        for row in rows:
            path = wanted.get(os.path.normpath(site_dir / row[0]))
            if path is None:
                continue
            digest, size = record_hash(path)
            new_row = [row[0], digest, str(size), *row[3:]]
            if new_row != row:
                row[:] = new_row
                touched = True
        if touched:
            _write_rows(record, rows)
            edited.append(record)
    return edited


def edit_records(layer_dir: Path, site_dir: str, skipped: Iterable[str]) -> list[Path]:
    """Drop the rows of files left out (``skipped``, relative to ``layer_dir``).

    :return: the RECORD files rewritten (replaced, never written through).
    """
    site = layer_dir / site_dir
    gone = {os.path.normpath(layer_dir / p) for p in skipped}
    edited = []
    for record in sorted(site.glob("*.dist-info/RECORD")):
        rows = _read_rows(record)
        kept = [row for row in rows if not _is_gone(os.path.normpath(site / row[0]), gone)]
        if len(kept) != len(rows):
            _write_rows(record, kept)
            edited.append(record)
    return edited


def _is_gone(path: str, gone: set[str]) -> bool:
    """Whether a path, or a folder holding it, was left out."""
    candidate = Path(path)
    return path in gone or any(str(parent) in gone for parent in candidate.parents)
