"""The files of a launch or support module, kept inside the project.

One walker serves the spec loader (which validates the modules), the build (which
hashes and copies them) and the published metadata (which hashes them), so all three
see the same files. A symlink is followed only when its target lies inside the
project (the spec file's folder); anything else is refused, never silently shipped or
silently dropped.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

from venvstacks.spec.model import ApplicationSpec, StackSpec

#: Folders never copied from a module package.
SKIP_DIRS = frozenset({"__pycache__", ".git", ".hg", ".mypy_cache", ".pytest_cache"})
#: File suffixes never copied from a module package.
SKIP_SUFFIXES = (".pyc", ".pyo")


class ModuleFileError(Exception):
    """A module holds something that must not be shipped.

    ``path`` is the offending entry (as reached from the module), ``reason`` says why.
    The caller turns it into the error kind of its step (spec, build or archive).
    """

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def is_within(path: str | os.PathLike[str], folder: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is ``folder`` or lies below it (both taken as given)."""
    path_s, folder_s = os.fspath(path), os.fspath(folder)
    try:
        return os.path.commonpath([path_s, folder_s]) == folder_s
    except ValueError:  # different drives, or one relative and one absolute
        return False


def _check_link(path: Path, root_real: str) -> str:
    """The real path of a symlink, which must exist and stay inside the project."""
    target = os.readlink(path)
    real = os.path.realpath(path)
    if not path.exists():
        raise ModuleFileError(path, f"is a symlink to {target!r}, which does not exist")
    if not is_within(real, root_real):
        raise ModuleFileError(
            path, f"is a symlink to {real!r}, outside the folder {root_real!r}"
        )
    return real


def module_root(source: Path, spec_dir: Path) -> Path:
    """The folder a module may draw files from.

    The project folder (the spec's) for modules inside it; for a module named by an
    absolute path elsewhere, the folder that holds it.
    """
    return spec_dir if is_within(source, spec_dir) else source.parent


def module_files(source: Path, spec_dir: Path) -> Iterator[tuple[str, Path]]:
    """``(relative POSIX path, file)`` for a module file or each file of a package.

    Paths are relative to the module's parent folder, in sorted order. Symlinks (to
    files or folders) are followed when their target is inside the module's root
    (:func:`module_root`); a link leading outside, a dangling link, a link loop or a
    special file (FIFO, device, socket) raises :class:`ModuleFileError`.
    """
    root_real = os.path.realpath(module_root(source, spec_dir))
    if source.is_symlink():
        _check_link(source, root_real)
    elif not is_within(os.path.realpath(source), root_real):
        raise ModuleFileError(source, f"is outside the folder {root_real!r}")
    mode = _stat(source).st_mode
    if stat.S_ISREG(mode):
        yield source.name, source
        return
    if not stat.S_ISDIR(mode):
        raise ModuleFileError(source, "is not a regular file or folder")
    yield from _walk(source, source.name, root_real, (os.path.realpath(source),))


def _stat(path: Path) -> os.stat_result:
    try:
        return path.stat()
    except OSError as exc:
        raise ModuleFileError(path, f"cannot be read: {exc.strerror}") from None


def _walk(
    folder: Path, relative: str, root_real: str, ancestors: tuple[str, ...]
) -> Iterator[tuple[str, Path]]:
    try:
        names = sorted(entry.name for entry in folder.iterdir())
    except OSError as exc:
        raise ModuleFileError(folder, f"cannot be listed: {exc.strerror}") from None
    for name in names:
        path = folder / name
        real = _check_link(path, root_real) if path.is_symlink() else None
        mode = _stat(path).st_mode
        if stat.S_ISDIR(mode):
            if name in SKIP_DIRS:
                continue
            real = real or os.path.realpath(path)
            if real in ancestors:
                raise ModuleFileError(
                    path, "is a symlink loop: it leads back to a folder that holds it"
                )
            yield from _walk(path, f"{relative}/{name}", root_real, (*ancestors, real))
        elif stat.S_ISREG(mode):
            if not name.endswith(SKIP_SUFFIXES):
                yield f"{relative}/{name}", path
        else:
            raise ModuleFileError(path, "is not a regular file or folder")


def module_paths(spec: StackSpec) -> Iterator[tuple[ApplicationSpec, str, Path]]:
    """``(layer, TOML key, path)`` of every launch and support module of a stack."""
    for app in spec.applications.values():
        yield app, f"{app.toml_path}.launch_module", app.launch_module
        for index, path in enumerate(app.support_modules):
            yield app, f"{app.toml_path}.support_modules[{index}]", path


def module_overlapping(
    spec: StackSpec, folder: Path
) -> tuple[ApplicationSpec, str, Path] | None:
    """The first module that holds ``folder`` or lies inside it (None if none does).

    A build or output folder inside a module package would be copied into itself.
    """
    folder_real = os.path.realpath(folder)
    for app, key, path in module_paths(spec):
        real = os.path.realpath(path)
        if is_within(folder_real, real) or is_within(real, folder_real):
            return app, key, path
    return None


def links_leaving(folder: Path, allowed: tuple[Path, ...]) -> list[tuple[Path, str]]:
    """Symlinks directly in ``folder`` whose target is outside every ``allowed`` folder.

    Returns ``(link, real target)`` pairs; a missing or unreadable folder has none.
    """
    roots = [os.path.realpath(root) for root in allowed]
    try:
        entries = sorted(entry.name for entry in folder.iterdir())
    except OSError:
        return []
    leaving = []
    for name in entries:
        path = folder / name
        if path.is_symlink():
            real = os.path.realpath(path)
            if not any(is_within(real, root) for root in roots):
                leaving.append((path, real))
    return leaving
