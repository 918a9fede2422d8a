"""Small file-system helpers shared by the engine packages."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from venvstacks.errors import FileSystemError

#: The one folder of temporary files in each folder a run owns (see scratch_root).
TEMP_DIR_NAME = ".venvstacks-tmp"
_TEMP_NAME_RE = re.compile(r"\..+\.venvstacks-[0-9]+-[0-9a-f]+\.(tmp|old)")

_ROOTS: dict[Path, int] = {}
_ROOTS_LOCK = threading.Lock()


def is_temp_name(name: str) -> bool:
    """Whether a file or folder name is one of venvstacks' temporary names."""
    return name == TEMP_DIR_NAME or bool(_TEMP_NAME_RE.fullmatch(name))


def temp_path(path: Path, suffix: str = "tmp") -> Path:
    """A new, unused temporary name to write ``path``'s replacement at.

    Under a folder registered with :func:`scratch_root` (the build, output and
    requirements folders during a run), temporary files all go in that folder's
    ``.venvstacks-tmp`` folder, which the next run removes whatever happened to this
    one; elsewhere, beside ``path`` with a name :func:`is_temp_name` recognises.
    """
    name = f".{path.name}.venvstacks-{os.getpid()}-{secrets.token_hex(6)}.{suffix}"
    with _ROOTS_LOCK:
        roots = [root for root in _ROOTS if path.is_relative_to(root)]
    if roots:
        scratch = max(roots, key=lambda root: len(root.parts)) / TEMP_DIR_NAME
        scratch.mkdir(exist_ok=True)
        return scratch / name
    return path.with_name(name)


def sweep_temps(root: Path) -> None:
    """Remove ``root``'s folder of temporary files, left by an earlier run."""
    scratch = root / TEMP_DIR_NAME
    if scratch.is_dir() and not scratch.is_symlink():
        shutil.rmtree(scratch, ignore_errors=True)


@contextlib.contextmanager
def scratch_root(root: Path) -> Iterator[None]:
    """Keep the temporary files written under ``root`` in one folder for the ``with``.

    Call it only while holding the run lock of ``root`` (or of the folder it belongs
    to): what an earlier, killed run left there is removed first, and this run's
    leftovers (after an interrupt) last.
    """
    root = Path(os.path.abspath(root))
    with _ROOTS_LOCK:
        first = root not in _ROOTS
        _ROOTS[root] = _ROOTS.get(root, 0) + 1
    if first:
        sweep_temps(root)
    try:
        yield
    finally:
        with _ROOTS_LOCK:
            _ROOTS[root] -= 1
            last = not _ROOTS[root]
            if last:
                del _ROOTS[root]
        if last:
            sweep_temps(root)


def replace_with(path: Path, write: Callable[[Path], object]) -> None:
    """Write a new file with ``write(temp)`` and rename it over ``path``.

    Readers never see half a file and a hard link to the old file keeps its content.
    The temporary file is removed if writing fails or is interrupted.
    """
    temp = temp_path(path)
    try:
        write(temp)
        try:
            os.replace(temp, path)
        except OSError as exc:
            if exc.errno != errno.EXDEV:  # the scratch folder is on another device
                raise
            beside = path.with_name(temp.name)
            shutil.move(temp, beside)
            os.replace(beside, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise


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
    replace_with(path, lambda temp: temp.write_text(text, "utf-8", newline="\n"))
    return True


def make_folder(folder: Path, action: str) -> None:
    """Create ``folder`` (and its parents) if missing; a failure names the folder."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        if exc.filename is None:
            exc.filename = str(folder)
        raise FileSystemError.from_os_error(exc, action) from None


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
