"""Keeping installed wheels' ``RECORD`` files true for files venvstacks rewrites."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import os
from collections.abc import Iterable
from pathlib import Path

from venvstacks.fsutil import write_text_if_changed


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
        text = record.read_text("utf-8")
        rows = list(csv.reader(io.StringIO(text)))
        touched = False
        for row in rows:
            if not row:
                continue
            path = wanted.get(os.path.normpath(site_dir / row[0]))
            if path is None:
                continue
            digest, size = record_hash(path)
            new_row = [row[0], digest, str(size), *row[3:]]
            if new_row != row:
                row[:] = new_row
                touched = True
        if touched:
            out = io.StringIO()
            csv.writer(out, lineterminator="\n").writerows(row for row in rows if row)
            write_text_if_changed(record, out.getvalue())
            edited.append(record)
    return edited
