"""Helpers shared by the archive tests (this module holds no tests)."""

from __future__ import annotations

import hashlib
import os
import random
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

LONG_NAME = "long-" + "n" * 140
LONG_DIRS = "/".join(f"deep{i:02d}-" + "d" * 20 for i in range(8))


@dataclass
class TreeSpec:
    """A tree to create: files (content, owner-exec), symlinks, empty folders."""

    files: dict[str, tuple[bytes, bool]] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)
    dirs: set[str] = field(default_factory=set)
    #: file name -> earlier file name it is hard-linked to (first copy only)
    hardlinks: dict[str, str] = field(default_factory=dict)


def sample_spec() -> TreeSpec:
    """A small layer-like tree exercising every entry type and awkward names."""
    spec = TreeSpec()
    spec.files["a.txt"] = (b"hello\n", False)
    spec.files["a-b"] = (b"sorted before a/ in byte order\n", False)
    spec.files["bin/run"] = (b"#!/bin/sh\necho run\n", True)
    spec.files["sp ace 🐸/caf\u00e9 \U0001f438.txt"] = ("🐸 ribbit\n".encode(), False)
    spec.files[f"{LONG_DIRS}/{LONG_NAME}.py"] = (b"x = 1\n" * 50, False)
    spec.files["lib/big.bin"] = (bytes(range(256)) * 3000, False)
    spec.files["lib/copy.bin"] = (bytes(range(256)) * 3000, False)
    spec.hardlinks["lib/copy.bin"] = "lib/big.bin"
    spec.dirs.add("empty")
    spec.dirs.add("share/empty too")
    spec.links["bin/python3.11"] = "../../cpython-3.11/bin/python3.11"  # sibling layer
    spec.links["bin/python"] = "python3.11"
    spec.links["bin/a-link"] = "../a.txt"
    spec.links["dir-link"] = "sp ace 🐸"
    spec.links["dangling"] = "missing/file"
    return spec


def _parents(path: str) -> Iterable[str]:
    parts = path.split("/")
    for end in range(1, len(parts)):
        yield "/".join(parts[:end])


def create_tree(
    root: Path,
    spec: TreeSpec,
    *,
    seed: int = 0,
    mtime: int = 1_600_000_000,
    loose_modes: bool = False,
    use_hardlinks: bool = True,
) -> Path:
    """Create ``spec`` below ``root`` in a shuffled order, with the given file times.

    ``loose_modes`` gives files group/other write bits and folders 0o777 / 0o700, as a
    different umask would; only the owner-exec bit is kept from ``spec``.
    """
    rng = random.Random(seed)
    root.mkdir(parents=True)
    items: list[tuple[str, str]] = [("file", name) for name in spec.files]
    items += [("link", name) for name in spec.links]
    items += [("dir", name) for name in spec.dirs]
    rng.shuffle(items)
    folders: set[str] = set(spec.dirs)
    for _, name in items:
        folders.update(_parents(name))
    for folder in sorted(folders, key=lambda _: rng.random()):
        (root / folder).mkdir(parents=True, exist_ok=True)
    hard = spec.hardlinks if use_hardlinks else {}
    for kind, name in items:
        path = root / name
        if kind == "link":
            path.symlink_to(spec.links[name])
        elif kind == "file" and name not in hard:
            path.write_bytes(spec.files[name][0])
    for name, source in hard.items():
        (root / name).hardlink_to(root / source)
    for name, (_, executable) in spec.files.items():
        mode = 0o755 if executable else 0o644
        if loose_modes:
            mode = 0o775 if executable else 0o666
        (root / name).chmod(mode)
        os.utime(root / name, (mtime + rng.randrange(10**6), mtime + rng.randrange(10**6)))
    for folder in folders:
        (root / folder).chmod(0o777 if loose_modes else 0o755)
        os.utime(root / folder, (mtime + rng.randrange(10**6),) * 2)
    return root


def snapshot(root: Path) -> dict[str, tuple[object, ...]]:
    """Everything that matters about a tree: types, contents, exec bits, link targets."""
    result: dict[str, tuple[object, ...]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            rel = path.relative_to(root).as_posix()
            st = path.lstat()
            if stat.S_ISLNK(st.st_mode):
                result[rel] = ("link", os.readlink(path))
            elif stat.S_ISDIR(st.st_mode):
                result[rel] = ("dir",)
            else:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                result[rel] = ("file", digest, bool(st.st_mode & stat.S_IXUSR))
    return result


def spec_snapshot(spec: TreeSpec) -> dict[str, tuple[object, ...]]:
    """What :func:`snapshot` of a tree created (and unpacked) from ``spec`` gives."""
    result: dict[str, tuple[object, ...]] = {}
    for name, (content, executable) in spec.files.items():
        result[name] = ("file", hashlib.sha256(content).hexdigest(), executable)
    for name, target in spec.links.items():
        result[name] = ("link", target)
    for name in list(spec.files) + list(spec.links) + list(spec.dirs):
        for folder in _parents(name):
            result[folder] = ("dir",)
    for name in spec.dirs:
        result[name] = ("dir",)
    return result


def modes(root: Path) -> dict[str, int]:
    """Permission bits of every non-symlink entry."""
    return {
        path.relative_to(root).as_posix(): path.lstat().st_mode & 0o7777
        for path in root.rglob("*")
        if not path.is_symlink()
    }
