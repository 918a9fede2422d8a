"""Copying a Python installation into a runtime layer and making the copy relocatable.

What is copied from the installation prefix:

* ``bin/python3.X`` (the real file), plus ``python3`` and ``python`` as relative
  symlinks to it, and ``bin/python3.X-config`` when present;
* ``lib/libpython3*.so*`` (symlinks kept as relative symlinks);
* ``lib/python3.X/`` without third-party packages (``site-packages`` is left empty,
  ``dist-packages`` dropped), ``__pycache__``, ``*.pyc``, the standard library's
  test suites, static ``libpython*.a`` libraries and ``EXTERNALLY-MANAGED``;
* ``include/python3.X*`` (and Debian's ``include/<multiarch>/python3.X``);
* ``lib/pkgconfig/python*.pc``.

Symlinks leading outside the prefix, or to anything not copied, are dropped (Debian's
``sitecustomize.py`` points into ``/etc``). The copy is then made relocatable (see
:mod:`venvstacks.runtimes.relocate`) and checked by running it.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path

from venvstacks.errors import BuildError
from venvstacks.fsutil import temp_path
from venvstacks.runtimes.model import AdoptedRuntime
from venvstacks.runtimes.relocate import make_relocatable, read_build_time_vars
from venvstacks.runtimes.scripts import make_scripts_relocatable
from venvstacks.spec.runtime_version import minor_version

__all__ = ["STDLIB_TEST_DIRS", "adopt_runtime", "make_scripts_relocatable"]

#: Decides whether to skip an entry: (folder relative to the tree, name, is a folder).
_SkipFunction = Callable[[str, str, bool], bool]

#: Test suites inside the standard library, relative to ``lib/python3.X``.
STDLIB_TEST_DIRS = frozenset(
    {
        "test",
        "idlelib/idle_test",
        "tkinter/test",
        "lib2to3/tests",
        "ctypes/test",
        "distutils/tests",
        "unittest/test",
        "sqlite3/test",
    }
)

_QUERY_COPY = """\
import json, sys, sysconfig
v = sys.version_info
version = "%d.%d.%d" % v[:3]
if v.releaselevel != "final":
    level = {"alpha": "a", "beta": "b", "candidate": "rc"}[v.releaselevel]
    version += level + str(v.serial)
print(json.dumps({
    "version": version,
    "prefix": sys.prefix,
    "base_prefix": sys.base_prefix,
    "purelib": sysconfig.get_path("purelib"),
    "stdlib": sysconfig.get_path("stdlib"),
}))
"""


def adopt_runtime(installed_prefix: Path, version: str, dest: Path) -> AdoptedRuntime:
    """Copy a Python installation into ``dest`` and make the copy relocatable.

    The copy is assembled in a temporary sibling of ``dest`` and renamed into place
    only once it works, so an interrupted adoption never leaves a half-made ``dest``.
    The installation itself is never modified.

    :param installed_prefix: the installation prefix (holds ``bin/python3.X``).
    :param version: its full ``X.Y.Z`` version.
    :param dest: the runtime folder to create; it must not exist.
    :return: the copy's layout, with paths relative to ``dest``.
    :raises BuildError: when ``dest`` exists, the installation is incomplete, the copy
        cannot be made relocatable, or the copied interpreter does not work.
    """
    minor = minor_version(version)
    source = Path(os.path.realpath(installed_prefix))
    python_name = f"python{minor}"
    executable = source / "bin" / python_name
    if os.path.lexists(dest):
        raise BuildError(
            f"cannot adopt the Python at {installed_prefix}: {dest} already exists",
            hint="Remove it first, or choose another destination.",
        )
    if not executable.is_file() or not (source / "lib" / python_name).is_dir():
        raise BuildError(
            f"cannot adopt the Python at {installed_prefix}: it has no "
            f"bin/{python_name} or no lib/{python_name} folder",
            hint="Give the installation prefix of a CPython (the folder holding bin/).",
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = temp_path(dest)
    staging.mkdir()
    try:
        _copy_installation(source, minor, staging)
        old_prefixes = {os.fspath(Path(installed_prefix).absolute()), os.fspath(source)}
        old_prefixes.update(_build_prefixes(staging / "lib" / python_name))
        python_rel = f"bin/{python_name}"
        make_relocatable(staging, old_prefixes, python_rel)
        adopted = _inspect_copy(staging, python_rel, version)
        if os.path.lexists(dest):
            raise BuildError(
                f"cannot adopt the Python at {installed_prefix}: {dest} "
                "appeared while copying"
            )
        staging.rename(dest)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise BuildError(f"cannot adopt the Python at {installed_prefix}: {exc}") from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return adopted


def _copy_installation(source: Path, minor: str, target: Path) -> None:
    python_name = f"python{minor}"
    bin_dir = target / "bin"
    bin_dir.mkdir()
    _copy_file(source / "bin" / python_name, bin_dir / python_name)
    for alias in ("python3", "python"):
        (bin_dir / alias).symlink_to(python_name)
    config = source / "bin" / f"{python_name}-config"
    if config.is_file():
        _copy_file(config, bin_dir / config.name)
    lib_dir = target / "lib"
    lib_dir.mkdir()
    for library in sorted((source / "lib").glob("libpython3*.so*")):
        _copy_entry(library, lib_dir / library.name, source)
    _copy_stdlib(source / "lib" / python_name, lib_dir / python_name, source)
    for pc_file in sorted((source / "lib" / "pkgconfig").glob("python*.pc")):
        (lib_dir / "pkgconfig").mkdir(exist_ok=True)
        _copy_entry(pc_file, lib_dir / "pkgconfig" / pc_file.name, source)
    include = source / "include"
    headers = [*include.glob(f"{python_name}*"), *include.glob(f"*-*/{python_name}")]
    for folder in sorted(headers):
        if folder.is_dir():
            relative = folder.relative_to(source)
            _copy_tree(folder, target / relative, source)
    _drop_dangling_links(target)


def _copy_stdlib(stdlib: Path, target: Path, source: Path) -> None:
    def skip(rel_dir: str, name: str, is_dir: bool) -> bool:
        rel = f"{rel_dir}/{name}" if rel_dir else name
        if is_dir:
            return name in ("__pycache__", "dist-packages") or rel in STDLIB_TEST_DIRS
        if name.endswith((".pyc", ".pyo")):
            return True
        if rel == "EXTERNALLY-MANAGED":
            return True
        return (
            rel_dir.startswith("config-")
            and "/" not in rel_dir
            and name.startswith("libpython")
            and name.endswith(".a")
        )

    _copy_tree(stdlib, target, source, skip=skip, empty_dirs=("site-packages",))


def _copy_tree(
    folder: Path,
    target: Path,
    source: Path,
    *,
    skip: _SkipFunction | None = None,
    empty_dirs: Iterable[str] = (),
) -> None:
    """Copy a folder, keeping in-prefix symlinks (as relative ones) and applying skip."""
    emptied = set(empty_dirs)
    target.mkdir(parents=True, exist_ok=True)
    for dirpath, dirnames, filenames in os.walk(folder):
        current = Path(dirpath)
        rel_dir = current.relative_to(folder).as_posix()
        rel_dir = "" if rel_dir == "." else rel_dir
        out_dir = target / rel_dir if rel_dir else target
        keep: list[str] = []
        for name in sorted(dirnames):
            path = current / name
            rel = f"{rel_dir}/{name}" if rel_dir else name
            if skip is not None and skip(rel_dir, name, True):
                continue
            if rel in emptied:
                (out_dir / name).mkdir()
            elif path.is_symlink():
                _copy_entry(path, out_dir / name, source)
            else:
                (out_dir / name).mkdir()
                keep.append(name)
        dirnames[:] = keep
        for name in sorted(filenames):
            if skip is not None and skip(rel_dir, name, False):
                continue
            _copy_entry(current / name, out_dir / name, source)


def _copy_entry(path: Path, target: Path, source: Path) -> None:
    """Copy a file, or recreate a symlink into the prefix as a relative symlink."""
    if path.is_symlink():
        resolved = Path(os.path.realpath(path))
        if not resolved.is_relative_to(source) or not resolved.exists():
            return
        # The link target, as it will be placed inside the copy.
        copy_root = target
        for _ in path.relative_to(source).parts:
            copy_root = copy_root.parent
        inside = copy_root / resolved.relative_to(source)
        target.symlink_to(os.path.relpath(inside, target.parent))
        return
    if path.is_file():
        _copy_file(path, target)


def _copy_file(path: Path, target: Path) -> None:
    shutil.copy2(path, target)
    mode = target.stat().st_mode
    if not mode & stat.S_IWUSR:
        target.chmod(mode | stat.S_IWUSR)


def _drop_dangling_links(root: Path) -> None:
    """Remove symlinks whose target was not copied (repeat for chains of links)."""
    while True:
        dangling = [
            path
            for dirpath, dirnames, filenames in os.walk(root)
            for path in (Path(dirpath, name) for name in (*dirnames, *filenames))
            if path.is_symlink() and not path.exists()
        ]
        if not dangling:
            return
        for link in dangling:
            link.unlink()


def _build_prefixes(stdlib: Path) -> set[str]:
    """Return the ``prefix``/``exec_prefix`` the installation was configured with."""
    prefixes: set[str] = set()
    for data_file in stdlib.glob("_sysconfigdata_*.py"):
        if data_file.is_symlink():
            continue
        text = data_file.read_text(encoding="utf-8", errors="replace")
        values = read_build_time_vars(text)
        for key in ("prefix", "exec_prefix"):
            value = (values or {}).get(key)
            if isinstance(value, str) and value.startswith("/") and value.rstrip("/"):
                prefixes.add(value.rstrip("/"))
    return prefixes


def _inspect_copy(root: Path, python_rel: str, version: str) -> AdoptedRuntime:
    """Run the copied interpreter; check it finds itself; create its package folder."""
    command = [os.fspath(root / python_rel), "-I", "-B", "-c", _QUERY_COPY]
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=120, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BuildError(f"the copied Python at {root} cannot be run: {exc}") from exc
    if result.returncode != 0:
        reason = " ".join(result.stderr.split()[-40:]) or f"status {result.returncode}"
        raise BuildError(f"the copied Python at {root} does not start: {reason}")
    try:
        info = json.loads(result.stdout)
    except ValueError:
        raise BuildError(
            f"the copied Python at {root} gave an unexpected answer: "
            f"{result.stdout[:200]!r}"
        ) from None
    real_root = os.path.realpath(root)
    relative: dict[str, str] = {}
    for key in ("prefix", "base_prefix", "purelib", "stdlib"):
        real = os.path.realpath(info[key])
        if real != real_root and not real.startswith(real_root + os.sep):
            raise BuildError(
                f"the copied Python at {root} is not self-contained: its {key} is "
                f"{info[key]}",
            )
        relative[key] = Path(os.path.relpath(real, real_root)).as_posix()
    if info["version"] != version:
        raise BuildError(
            f"the Python copied from the installation is version {info['version']}, "
            f"not {version}"
        )
    (root / relative["purelib"]).mkdir(parents=True, exist_ok=True)
    return AdoptedRuntime(
        python=python_rel,
        site_packages=relative["purelib"],
        stdlib=relative["stdlib"],
        version=info["version"],
    )
