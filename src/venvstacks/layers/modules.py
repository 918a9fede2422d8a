"""Copying an application's launch module and support modules into its layer."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path

from venvstacks._injected.schema import MODULES_MANIFEST_PATH
from venvstacks.errors import BuildError
from venvstacks.fsutil import remove_path
from venvstacks.spec.model import module_name
from venvstacks.spec.modulefiles import ModuleFileError, module_files


def _files(source: Path, root: Path) -> Iterator[tuple[str, Path]]:
    try:
        yield from module_files(source, root)
    except ModuleFileError as exc:
        raise BuildError(
            f"module file {str(exc.path)!r} {exc.reason}",
            hint="Launch and support modules may only hold regular files and folders "
            "from the folder they are named in (symlinks are followed only inside it).",
        ) from None


def modules_hash(sources: Sequence[Path], root: Path) -> str:
    """``sha256:<hex>`` over the names and bytes of the given modules.

    ``root`` is the project folder (see :func:`module_files`).
    """
    digest = hashlib.sha256()
    for source in sources:
        for relative, path in _files(source, root):
            digest.update(relative.encode("utf-8") + b"\0")
            digest.update(path.read_bytes())
            digest.update(b"\0")
    return "sha256:" + digest.hexdigest()


def module_hash(source: Path, root: Path) -> str:
    """``sha256:<hex>`` of one module (file or package)."""
    return modules_hash([source], root)


def install_modules(
    env_dir: Path, site_dir: str, sources: Sequence[Path], root: Path
) -> None:
    """Copy modules into ``site_dir``, replacing earlier copies and removing stale ones.

    Symlinks are followed only inside ``root`` (the project folder); the copies are
    regular files.
    """
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
        for relative, path in _files(source, root):
            copied = target_dir / relative
            copied.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, copied)
    manifest.parent.mkdir(parents=True, exist_ok=True)
    manifest.write_text(json.dumps(sorted(names), indent=2) + "\n", "utf-8")


__all__ = ["install_modules", "module_hash", "module_name", "modules_hash"]
