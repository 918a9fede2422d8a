"""Runtimes prepared once per machine: a cache of relocated, stripped runtime copies.

Adopting an installed CPython (copy, relocate, strip, check) costs seconds; its result
only depends on the installation and on our own code, so it is kept in a cache outside
any build folder and reused by every stack and build:

* the cache folder is ``$VENVSTACKS_CACHE_DIR``, else ``$XDG_CACHE_HOME/venvstacks``,
  else ``~/.cache/venvstacks``; entries live in ``runtimes/<key>/``;
* the key hashes everything that affects the bytes of the copy: the installation's
  real path, its version, a fingerprint of its files (path, size, mtime of everything
  copied), :data:`RELOCATION_VERSION` and the strip setting;
* an entry is assembled in a temporary sibling and renamed into place (atomic, so a
  concurrent process either sees a whole entry or none; when two processes race, the
  first rename wins and the other uses it);
* ``entry.json`` lists every file with its size and mtime: an entry whose files no
  longer match (edited, truncated, deleted) is discarded and made again;
* files are put into a layer with a reflink where the file system has them, else a
  hard link, else a copy. venvstacks never writes a runtime file in place afterwards
  (installers and our script fix-ups replace files), so sharing inodes is safe.

``VENVSTACKS_RUNTIME_CACHE=0`` turns the cache off (each build adopts afresh).
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import secrets
import shutil
import stat
import sys
from pathlib import Path
from typing import Any

from venvstacks.cachedir import CACHE_DIR_ENV_VAR, cache_root
from venvstacks.errors import BuildError
from venvstacks.fsutil import temp_path
from venvstacks.platforms import elf
from venvstacks.runtimes.adopt import adopt_runtime
from venvstacks.runtimes.model import AdoptedRuntime

__all__ = [
    "CACHE_DIR_ENV_VAR",
    "RELOCATION_VERSION",
    "RUNTIME_CACHE_ENV_VAR",
    "cache_root",
    "prepare_runtime",
    "runtime_key",
]

#: Raise whenever adoption or relocation produces different bytes.
RELOCATION_VERSION = 1
RUNTIME_CACHE_ENV_VAR = "VENVSTACKS_RUNTIME_CACHE"
_ENTRY_FILE = "entry.json"
_TREE = "tree"
#: Folders of an installation whose content is not copied (never fingerprinted).
_UNCOPIED = frozenset({"__pycache__", "site-packages", "dist-packages"})


def cache_enabled() -> bool:
    """Whether the runtime cache is used (``VENVSTACKS_RUNTIME_CACHE`` is not 0)."""
    value = os.environ.get(RUNTIME_CACHE_ENV_VAR, "1").strip().lower()
    return value not in ("0", "false", "no", "off")


def _fingerprint(source: Path, minor: str) -> str:
    """Hash of (path, size, mtime) of the installation files adoption reads."""
    digest = hashlib.sha256()
    python_name = f"python{minor}"
    roots = [
        source / "bin" / python_name,
        source / "bin" / f"{python_name}-config",
        *sorted((source / "lib").glob("libpython3*")),
        source / "lib" / python_name,
        *sorted((source / "include").glob(f"*{python_name}*")),
    ]
    for root in roots:
        for path, st in _walk_stats(root):
            digest.update(
                f"{path.relative_to(source).as_posix()}\0{st.st_size}\0"
                f"{st.st_mtime_ns}\0{st.st_mode:o}\n".encode("utf-8", "surrogateescape")
            )
    return digest.hexdigest()


def _walk_stats(root: Path) -> list[tuple[Path, os.stat_result]]:
    try:
        st = root.lstat()
    except FileNotFoundError:
        return []
    found = [(root, st)]
    if not stat.S_ISDIR(st.st_mode):
        return found
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _UNCOPIED)
        for name in sorted([*dirnames, *filenames]):
            path = Path(dirpath, name)
            found.append((path, path.lstat()))
    return found


def runtime_key(installed_prefix: Path, version: str) -> str:
    """The cache key of the prepared copy of an installation (hex, 32 characters)."""
    source = Path(os.path.realpath(installed_prefix))
    minor = ".".join(version.split(".")[:2])
    strip = elf.strip_enabled() and shutil.which("strip") is not None
    parts = [
        f"relocation={RELOCATION_VERSION}",
        f"source={source}",
        f"version={version}",
        f"strip={strip}",
        f"files={_fingerprint(source, minor)}",
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def prepare_runtime(installed_prefix: Path, version: str, dest: Path) -> AdoptedRuntime:
    """Put a relocated copy of an installation at ``dest``, from the cache if possible.

    Like :func:`~venvstacks.runtimes.adopt.adopt_runtime` (``dest`` must not exist and
    is complete or absent when this returns), but the adoption itself happens at most
    once per machine for each installation.

    :raises BuildError: when adoption fails or the cache folder cannot be written.
    """
    if not cache_enabled():
        return adopt_runtime(installed_prefix, version, dest)
    entry = cache_root() / "runtimes" / runtime_key(installed_prefix, version)
    adopted = _valid_entry(entry)
    if adopted is None:
        adopted = _make_entry(installed_prefix, version, entry)
    _place(entry / _TREE, dest)
    return adopted


def _valid_entry(entry: Path) -> AdoptedRuntime | None:
    """The runtime an entry holds, or None (a damaged entry is removed)."""
    try:
        data = json.loads((entry / _ENTRY_FILE).read_text("utf-8"))
        adopted = AdoptedRuntime(**data["runtime"])
        if _manifest(entry / _TREE) == data["files"]:
            return adopted
    except FileNotFoundError:
        if not entry.exists():
            return None
    except (OSError, ValueError, KeyError, TypeError):
        pass
    _discard(entry)
    return None


def _manifest(tree: Path) -> dict[str, Any]:
    """Every entry below ``tree``: files as [size, mtime_ns], links as their target."""
    files: dict[str, Any] = {}
    for dirpath, dirnames, filenames in os.walk(tree):
        folder = Path(dirpath)
        for name in [*dirnames, *filenames]:
            path = folder / name
            rel = path.relative_to(tree).as_posix()
            st = path.lstat()
            if stat.S_ISLNK(st.st_mode):
                files[rel] = os.readlink(path)
            elif stat.S_ISREG(st.st_mode):
                files[rel] = [st.st_size, st.st_mtime_ns]
            else:
                files[rel] = None
    return dict(sorted(files.items()))


def _make_entry(installed_prefix: Path, version: str, entry: Path) -> AdoptedRuntime:
    temp = entry.with_name(f".{entry.name}.{secrets.token_hex(4)}.tmp")
    try:
        temp.mkdir(parents=True)
        adopted = adopt_runtime(installed_prefix, version, temp / _TREE)
        data = {
            "runtime": {
                "python": adopted.python,
                "site_packages": adopted.site_packages,
                "stdlib": adopted.stdlib,
                "version": adopted.version,
            },
            "source": os.fspath(installed_prefix),
            "files": _manifest(temp / _TREE),
        }
        (temp / _ENTRY_FILE).write_text(json.dumps(data, indent=0), "utf-8")
        try:
            temp.rename(entry)
        except OSError as exc:
            if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                raise
            # Another process finished first: use its entry if it is whole.
            shutil.rmtree(temp, ignore_errors=True)
            theirs = _valid_entry(entry)
            if theirs is not None:
                return theirs
            temp.rename(entry)
    except OSError as exc:
        shutil.rmtree(temp, ignore_errors=True)
        raise BuildError(
            f"cannot write the runtime cache entry {entry}: {exc}",
            hint=f"Set {CACHE_DIR_ENV_VAR} to a writable folder, or "
            f"{RUNTIME_CACHE_ENV_VAR}=0 to build without the cache.",
        ) from exc
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    return adopted


def _discard(entry: Path) -> None:
    """Move a damaged entry aside (atomically) and delete it."""
    trash = entry.with_name(f".{entry.name}.{secrets.token_hex(4)}.old")
    try:
        entry.rename(trash)
    except OSError:
        return
    shutil.rmtree(trash, ignore_errors=True)


def _place(tree: Path, dest: Path) -> None:
    """Recreate ``tree`` at ``dest`` with reflinks, hard links or copies."""
    if os.path.lexists(dest):
        raise BuildError(f"cannot place the runtime at {dest}: it already exists")
    dest.parent.mkdir(parents=True, exist_ok=True)
    # In the run's scratch folder (swept by the next run), so a killed build never
    # leaves a half-placed runtime beside the layers.
    staging = temp_path(dest)
    linker = _Linker()
    try:
        staging.mkdir()
        for dirpath, dirnames, filenames in os.walk(tree):
            folder = Path(dirpath)
            out = staging / folder.relative_to(tree)
            real_dirs = []
            for name in dirnames:
                path = folder / name
                if path.is_symlink():
                    (out / name).symlink_to(os.readlink(path))
                else:
                    (out / name).mkdir()
                    real_dirs.append(name)
            dirnames[:] = real_dirs
            for name in filenames:
                path = folder / name
                if path.is_symlink():
                    (out / name).symlink_to(os.readlink(path))
                else:
                    linker.place(path, out / name)
        staging.rename(dest)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise BuildError(f"cannot copy the cached runtime to {dest}: {exc}") from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


class _Linker:
    """Reflink, else hard link, else copy; remembers what the file system refused."""

    def __init__(self) -> None:
        self.reflink = _FICLONE is not None
        self.hardlink = True

    def place(self, source: Path, target: Path) -> None:
        if self.reflink:
            if _reflink(source, target):
                return
            self.reflink = False
        if self.hardlink:
            try:
                os.link(source, target)
                return
            except OSError:
                self.hardlink = False
        shutil.copy2(source, target)


#: ``FICLONE`` ioctl request (Linux): share a file's blocks copy-on-write.
_FICLONE: int | None = 0x40049409 if sys.platform == "linux" else None


def _reflink(source: Path, target: Path) -> bool:
    import fcntl

    assert _FICLONE is not None
    with open(source, "rb") as src:
        try:
            with open(target, "xb") as dst:
                fcntl.ioctl(dst.fileno(), _FICLONE, src.fileno())
        except OSError:
            target.unlink(missing_ok=True)
            return False
    shutil.copystat(source, target)
    return True
