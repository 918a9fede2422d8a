"""Copying an application's launch module and support modules into its layer."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path

from venvstacks._injected.schema import MODULES_MANIFEST_PATH
from venvstacks.fsutil import remove_path
from venvstacks.spec.model import module_name

_SKIP_DIRS = {"__pycache__", ".git", ".hg", ".mypy_cache", ".pytest_cache"}


def _files(source: Path) -> Iterator[tuple[str, Path]]:
    """(relative POSIX path, file) for a module file or every file of a package."""
    if source.is_file():
        yield source.name, source
        return
    for root, dirs, files in os.walk(source):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
        for name in sorted(files):
            if name.endswith((".pyc", ".pyo")):
                continue
            path = Path(root, name)
            yield path.relative_to(source.parent).as_posix(), path


def modules_hash(sources: Sequence[Path]) -> str:
    """``sha256:<hex>`` over the names and bytes of the given modules."""
    digest = hashlib.sha256()
    for source in sources:
        for relative, path in _files(source):
            digest.update(relative.encode("utf-8") + b"\0")
            digest.update(path.read_bytes())
            digest.update(b"\0")
    return "sha256:" + digest.hexdigest()


def module_hash(source: Path) -> str:
    """``sha256:<hex>`` of one module (file or package)."""
    return modules_hash([source])


def install_modules(env_dir: Path, site_dir: str, sources: Sequence[Path]) -> None:
    """Copy modules into ``site_dir``, replacing earlier copies and removing stale ones."""
    target_dir = env_dir / site_dir
    manifest = env_dir / MODULES_MANIFEST_PATH
    try:
        previous = json.loads(manifest.read_text("utf-8"))
    except (OSError, ValueError):
        previous = []
    names = [source.name for source in sources]
    for old in previous:
        if isinstance(old, str) and old not in names and "/" not in old:
            remove_path(target_dir / old)
    for source in sources:
        destination = target_dir / source.name
        remove_path(destination)
        for relative, path in _files(source):
            copied = target_dir / relative
            copied.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, copied)
    manifest.parent.mkdir(parents=True, exist_ok=True)
    manifest.write_text(json.dumps(sorted(names), indent=2) + "\n", "utf-8")


__all__ = ["install_modules", "module_hash", "module_name", "modules_hash"]
