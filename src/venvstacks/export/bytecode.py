"""Precompiled bytecode shipped in layers, so deployed stacks start fast anywhere.

A layer deployed where Python cannot write ``__pycache__`` (a read-only folder, a
signed app bundle, ``PYTHONDONTWRITEBYTECODE``) recompiles every module it imports on
every start. With the bytecode option on, a staged layer gets ``.pyc`` files for its
packages (and, in a runtime layer, the whole standard library) before it is archived:

* compiled by the layer's own runtime (``compileall``), so the magic number matches;
* hash-based and *unchecked* (:pep:`552`): the file depends only on the source, never
  on time stamps, so archives stay reproducible; at import Python trusts it without
  reading the source (a deployed layer is never edited; ``python
  --check-hash-based-pycs always`` checks them anyway);
* the file name recorded in the code objects is relative to the folder holding the
  layers (``app-x@2/lib/...``), never the staging path; Python replaces it with the
  real path on import;
* each ``*.dist-info/RECORD`` lists the ``.pyc`` of its modules (without a hash, as
  pip records them), so uninstalling stays complete.
"""

from __future__ import annotations

import csv
import io
import os
import posixpath
import subprocess
from pathlib import Path

from venvstacks.errors import ArchiveError
from venvstacks.fsutil import write_text_if_changed
from venvstacks.layers.layout import LayerLayout
from venvstacks.pycompile import compileall_command

#: How the shipped ``.pyc`` files are validated at import (``compileall`` spelling).
INVALIDATION_MODE = "unchecked-hash"
#: Whether publishing ships bytecode unless told otherwise (see docs/design.rst).
DEFAULT_BYTECODE = True


def bytecode_mode(enabled: bool) -> str | None:
    """What the published metadata records: the invalidation mode, or None."""
    return INVALIDATION_MODE if enabled else None


def ship_bytecode(build_dir: Path, layout: LayerLayout, staged: Path) -> list[str]:
    """Compile a staged layer's modules and record them; returns the ``.pyc`` files.

    A runtime layer gets its whole standard library compiled (site-packages
    included); other layers their site-packages (packages and launch modules).
    """
    python = build_dir / layout.env_name / layout.python
    if layout.kind == "runtime":
        folders = [posixpath.dirname(layout.site_dir)]
    else:
        folders = [layout.site_dir]
    compiled = compile_layer(staged, python, folders)
    record_bytecode(staged, layout.site_dir, compiled)
    return compiled


def compile_layer(layer_dir: Path, python: Path, folders: list[str]) -> list[str]:
    """Compile every ``.py`` below ``folders`` (relative to ``layer_dir``).

    :param layer_dir: the staged layer folder; its parent is the staging root.
    :param python: the layer's interpreter (in the build folder).
    :return: the ``.pyc`` files now in the layer, relative POSIX paths, sorted.
    :raises ArchiveError: when the interpreter cannot be run.
    """
    targets = [os.fspath(layer_dir / folder) for folder in folders]
    command = compileall_command(
        python,
        targets,
        invalidation_mode=INVALIDATION_MODE,
        strip_prefix=os.fspath(layer_dir.parent),
    )
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise ArchiveError(
            f"cannot compile bytecode with {python}: {exc}", layer=layer_dir.name
        ) from exc
    if result.returncode not in (0, 1):  # 1: some file did not compile
        reason = " ".join((result.stderr or result.stdout).split()[-30:])
        raise ArchiveError(f"compiling bytecode failed: {reason}", layer=layer_dir.name)
    return sorted(
        path.relative_to(layer_dir).as_posix()
        for folder in folders
        for path in (layer_dir / folder).rglob("__pycache__/*.pyc")
    )


def record_bytecode(layer_dir: Path, site_dir: str, compiled: list[str]) -> list[Path]:
    """Add the ``.pyc`` of each module a ``RECORD`` lists to that ``RECORD``.

    :return: the RECORD files changed.
    """
    by_source: dict[str, list[str]] = {}
    for rel in compiled:
        folder, _, name = rel.rpartition("/__pycache__/")
        source = f"{folder}/{name.split('.', 1)[0]}.py"
        by_source.setdefault(os.path.normpath(source), []).append(rel)
    site = layer_dir / site_dir
    edited = []
    for record in sorted(site.glob("*.dist-info/RECORD")):
        text = record.read_text("utf-8")
        rows = [row for row in csv.reader(io.StringIO(text)) if row]
        listed = {row[0] for row in rows}
        added = []
        for row in rows:
            source = os.path.normpath(os.path.relpath(site / row[0], layer_dir))
            for pyc in by_source.get(source, ()):
                entry = os.path.relpath(layer_dir / pyc, site).replace(os.sep, "/")
                if entry not in listed:
                    added.append([entry, "", ""])
                    listed.add(entry)
        if not added:
            continue
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows + added)
        write_text_if_changed(record, out.getvalue())
        edited.append(record)
    return edited
