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
* the entry's standard library is compiled once (ordinary time-stamp ``.pyc``, by the
  runtime itself): every interpreter start in a build (uv's interpreter query, install
  hooks, checks) then reads bytecode instead of compiling the modules it imports. The
  files keep their time stamps when placed, so the bytecode stays valid; staging for
  an archive drops every ``__pycache__`` (published bytecode is made separately,
  hash-based: :mod:`venvstacks.export.bytecode`);
* files are put into a layer with a reflink where the file system has them, else a
  hard link, else a copy. venvstacks never writes a runtime file in place afterwards
  (installers and our script fix-ups replace files), so sharing inodes is safe.

``VENVSTACKS_RUNTIME_CACHE=0`` turns the cache off (each build adopts afresh).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import secrets
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator, Set
from pathlib import Path
from typing import Any

from venvstacks.cachedir import CACHE_DIR_ENV_VAR, cache_root
from venvstacks.errors import BuildError
from venvstacks.fsutil import temp_path
from venvstacks.platforms import elf
from venvstacks.pycompile import compileall_command
from venvstacks.runtimes.adopt import STDLIB_TEST_DIRS, adopt_runtime
from venvstacks.runtimes.model import AdoptedRuntime

__all__ = [
    "CACHE_DIR_ENV_VAR",
    "RELOCATION_VERSION",
    "RUNTIME_CACHE_ENV_VAR",
    "cache_root",
    "prepare_runtime",
    "runtime_key",
]

#: Raise whenever adoption, relocation or precompiling produces different bytes.
RELOCATION_VERSION = 2
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
    """Hash of (path, size, mtime, mode) of the installation files adoption reads."""
    digest = hashlib.sha256()
    python_name = f"python{minor}"
    top = os.fspath(source)
    roots = [
        f"bin/{python_name}",
        f"bin/{python_name}-config",
        *sorted(
            p.relative_to(source).as_posix() for p in (source / "lib").glob("libpython3*")
        ),
        f"lib/{python_name}",
        *sorted(
            p.relative_to(source).as_posix()
            for p in (source / "include").glob(f"*{python_name}*")
        ),
    ]
    skipped = {f"lib/{python_name}/{rel}" for rel in STDLIB_TEST_DIRS}
    for root in roots:
        for rel, st in _walk_stats(top, root, skipped):
            digest.update(
                f"{rel}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_mode:o}\n".encode(
                    "utf-8", "surrogateescape"
                )
            )
    return digest.hexdigest()


def _walk_stats(
    top: str, root: str, skipped: Set[str]
) -> Iterator[tuple[str, os.stat_result]]:
    """``(relative path, lstat)`` of ``root`` and, for a folder, all below it, sorted."""
    try:
        st = os.lstat(f"{top}/{root}")
    except FileNotFoundError:
        return
    yield root, st
    if not stat.S_ISDIR(st.st_mode):
        return
    try:
        with os.scandir(f"{top}/{root}") as scan:
            entries = sorted(scan, key=lambda entry: entry.name)
    except OSError:
        return
    for entry in entries:
        rel = f"{root}/{entry.name}"
        if entry.is_dir(follow_symlinks=False):
            if entry.name not in _UNCOPIED and rel not in skipped:
                yield from _walk_stats(top, rel, skipped)
        else:
            yield rel, entry.stat(follow_symlinks=False)


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
    # The entry is checked while it is placed (one walk): a file that changed since
    # the entry was made discards the entry, and it is made again, once.
    for _attempt in range(2):
        recorded = _read_entry(entry)
        if recorded is None:
            _make_entry(installed_prefix, version, entry)
            recorded = _read_entry(entry)
        if recorded is not None and _place(entry / _TREE, dest, recorded[1]):
            return recorded[0]
        _discard(entry)
    raise BuildError(
        f"the runtime cache entry {entry} changed while it was being used",
        hint=f"Run the build again, or set {RUNTIME_CACHE_ENV_VAR}=0 to build "
        "without the cache.",
    )


def _read_entry(entry: Path) -> tuple[AdoptedRuntime, dict[str, Any]] | None:
    """The runtime and file list an entry records, or None (unreadable: discarded)."""
    try:
        data = json.loads((entry / _ENTRY_FILE).read_text("utf-8"))
        files = data["files"]
        if isinstance(files, dict):
            return AdoptedRuntime(**data["runtime"]), files
    except FileNotFoundError:
        if not entry.exists():
            return None
    except (OSError, ValueError, KeyError, TypeError):
        pass
    _discard(entry)
    return None


def _tree_entries(top: str, prefix: str = "") -> Iterator[tuple[str, os.DirEntry[str]]]:
    """``(relative path, entry)`` below ``top``, sorted, each folder before its content."""
    with os.scandir(f"{top}/{prefix}" if prefix else top) as scan:
        entries = sorted(scan, key=lambda entry: entry.name)
    for entry in entries:
        rel = prefix + entry.name
        yield rel, entry
        if entry.is_dir(follow_symlinks=False):
            yield from _tree_entries(top, rel + "/")


def _describe(entry: os.DirEntry[str]) -> Any:
    """What the file list records: a link's target, a file's [size, mtime_ns], None."""
    if entry.is_symlink():
        return os.readlink(entry.path)
    if entry.is_file(follow_symlinks=False):
        st = entry.stat(follow_symlinks=False)
        return [st.st_size, st.st_mtime_ns]
    return None


def _manifest(tree: Path) -> dict[str, Any]:
    """Every entry below ``tree``: files as [size, mtime_ns], links as their target."""
    return {rel: _describe(entry) for rel, entry in _tree_entries(os.fspath(tree))}


def _make_entry(installed_prefix: Path, version: str, entry: Path) -> None:
    """Adopt and precompile into a temporary sibling, then rename it to ``entry``.

    When a concurrent run renamed its entry first, that one is kept (the caller
    checks it while placing it).
    """
    temp = entry.with_name(f".{entry.name}.{secrets.token_hex(4)}.tmp")
    try:
        temp.mkdir(parents=True)
        adopted = adopt_runtime(installed_prefix, version, temp / _TREE)
        _precompile(temp / _TREE, adopted)
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
            # Another process finished first: its entry is used.
            shutil.rmtree(temp, ignore_errors=True)
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


def _precompile(tree: Path, adopted: AdoptedRuntime) -> None:
    """Compile the standard library of a prepared runtime, in place (best effort).

    Only a speed-up: a module that does not compile (a few data files look like
    Python) or an interpreter that cannot run leaves the entry as good as before.
    """
    command = compileall_command(tree / adopted.python, [os.fspath(tree / adopted.stdlib)])
    with contextlib.suppress(OSError):
        subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )


def _discard(entry: Path) -> None:
    """Move a damaged entry aside (atomically) and delete it."""
    trash = entry.with_name(f".{entry.name}.{secrets.token_hex(4)}.old")
    try:
        entry.rename(trash)
    except OSError:
        return
    shutil.rmtree(trash, ignore_errors=True)


def _place(tree: Path, dest: Path, expected: dict[str, Any]) -> bool:
    """Recreate ``tree`` at ``dest`` with reflinks, hard links or copies.

    :return: False (and nothing at ``dest``) when the tree does not match the file
        list ``expected``.
    """
    if os.path.lexists(dest):
        raise BuildError(f"cannot place the runtime at {dest}: it already exists")
    dest.parent.mkdir(parents=True, exist_ok=True)
    # In the run's scratch folder (swept by the next run), so a killed build never
    # leaves a half-placed runtime beside the layers.
    staging = temp_path(dest)
    linker = _Linker()
    found: dict[str, Any] = {}
    try:
        staging.mkdir()
        out = os.fspath(staging)
        for rel, entry in _tree_entries(os.fspath(tree)):
            found[rel] = described = _describe(entry)
            target = f"{out}/{rel}"
            if isinstance(described, str):
                Path(target).symlink_to(described)
            elif described is not None:
                linker.place(entry.path, target)
            elif entry.is_dir(follow_symlinks=False):
                Path(target).mkdir()
        if found != expected:
            shutil.rmtree(staging, ignore_errors=True)
            return False
        staging.rename(dest)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise BuildError(f"cannot copy the cached runtime to {dest}: {exc}") from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return True


class _Linker:
    """Reflink, else hard link, else copy; remembers what the file system refused."""

    def __init__(self) -> None:
        self.reflink = _FICLONE is not None
        self.hardlink = True

    def place(self, source: str, target: str) -> None:
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


def _reflink(source: str, target: str) -> bool:
    import fcntl

    assert _FICLONE is not None
    with open(source, "rb") as src:
        try:
            with open(target, "xb") as dst:
                fcntl.ioctl(dst.fileno(), _FICLONE, src.fileno())
        except OSError:
            Path(target).unlink(missing_ok=True)
            return False
    shutil.copystat(source, target)
    return True
