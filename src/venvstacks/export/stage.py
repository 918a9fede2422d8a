"""Staging: a deployable copy of a built layer, named and linked as it will be deployed.

The staged folder is named after the layer's deployed name (``app-x@3``) and its links
to lower layers use their deployed names. Bytecode caches and venvstacks' internal
bookkeeping are left out, and ``RECORD`` files are edited to match. Files are hard
links to the build folder where possible (fast, no extra space); every file venvstacks
changes is replaced, never written through.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from venvstacks import cancel
from venvstacks._injected import postinstall_source
from venvstacks._injected.schema import MODULES_MANIFEST_PATH
from venvstacks.errors import ArchiveError
from venvstacks.fsutil import is_temp_name, remove_path, write_text_if_changed
from venvstacks.layers.layout import LayerLayout
from venvstacks.layers.records import edit_records
from venvstacks.layers.venv import write_layer_config, write_layered_env

POSTINSTALL_NAME = "postinstall.py"

#: Top-level parts of a layer never shipped (relative POSIX paths).
INTERNAL_FILES = frozenset({MODULES_MANIFEST_PATH})


def is_shipped(relative: str) -> bool:
    """Whether a path inside a layer folder belongs in its deployed form."""
    name = relative.rsplit("/", 1)[-1]
    if name == "__pycache__" or name.endswith((".pyc", ".pyo")):
        return False
    if is_temp_name(name):  # left by a killed run: never shipped
        return False
    return relative not in INTERNAL_FILES


@dataclass(frozen=True)
class StagedLayer:
    """A layer staged for export or archiving."""

    env_name: str
    deployed_name: str
    path: Path


def _link_or_copy(source: Path, target: Path, hardlink: bool) -> bool:
    """Hard-link ``source`` at ``target`` (or copy); returns whether it linked."""
    if hardlink:
        try:
            os.link(source, target)
            return True
        except OSError:
            pass
    shutil.copy2(source, target, follow_symlinks=False)
    return False


def copy_tree(source: Path, target: Path, *, hardlink: bool = True) -> list[str]:
    """Copy a layer folder, skipping what is not shipped; returns the skipped paths."""
    skipped: list[str] = []
    target.mkdir(parents=True)
    for root, dirs, files in os.walk(source):
        root_path = Path(root)
        relative_root = root_path.relative_to(source).as_posix()
        prefix = "" if relative_root == "." else relative_root + "/"
        kept_dirs = []
        cancel.check()  # an interrupted run stops staging within one folder
        for name in sorted([*dirs, *files]):
            relative = prefix + name
            if not is_shipped(relative):
                skipped.append(relative)
                continue
            path = root_path / name
            if path.is_symlink():
                (target / relative).symlink_to(os.readlink(path))
            elif path.is_dir():
                (target / relative).mkdir()
                kept_dirs.append(name)
            else:
                _link_or_copy(path, target / relative, hardlink)
        dirs[:] = kept_dirs
    return skipped


def stage_layer(
    build_dir: Path,
    layout: LayerLayout,
    staging_root: Path,
    *,
    hardlink: bool = True,
) -> StagedLayer:
    """Stage the built layer ``layout.env_name`` as ``staging_root/<folder_name>``."""
    source = build_dir / layout.env_name
    if not source.is_dir():
        raise ArchiveError(
            "the layer has not been built",
            layer=layout.env_name,
            hint="Run 'venvstacks build' first.",
        )
    target = staging_root / layout.folder_name
    remove_path(target)
    staging_root.mkdir(parents=True, exist_ok=True)
    skipped = copy_tree(source, target, hardlink=hardlink)
    if layout.kind == "runtime":
        write_layer_config(target, layout)
    else:
        write_layered_env(target, layout)
    edit_records(target, layout.site_dir, skipped)
    write_text_if_changed(target / POSTINSTALL_NAME, postinstall_source())
    return StagedLayer(layout.env_name, layout.folder_name, target)
