"""Small file-system helpers shared by the engine packages."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path


def _temp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp{os.getpid()}-{threading.get_ident()}")


def write_text_if_changed(path: Path, text: str) -> bool:
    """Write ``text`` unless the file already holds it; True if written.

    The file is replaced (temp file + rename), never written through, so a hard link
    elsewhere keeps its content and readers never see half a file.
    """
    try:
        if path.read_text("utf-8") == text:
            return False
    except (FileNotFoundError, UnicodeDecodeError, IsADirectoryError):
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = _temp_name(path)
    temp.write_text(text, "utf-8", newline="\n")
    os.replace(temp, path)
    return True


def remove_path(path: Path) -> None:
    """Remove a file, symlink or folder tree if it exists."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def tree_size(root: Path) -> int:
    """Total bytes of the regular files under ``root`` (symlinks not followed)."""
    total = 0
    for folder, _dirs, files in os.walk(root):
        for name in files:
            path = Path(folder, name)
            if not path.is_symlink():
                total += path.stat().st_size
    return total
