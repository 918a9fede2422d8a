"""Finding the CPython installations on this machine.

Candidates come from three places, in order of preference for labelling:

1. ``pyenv``: every ``$(pyenv root)/versions/*/bin/python3*`` interpreter;
2. ``path``: ``python3`` and ``python3.X`` executables on ``PATH`` (pyenv shims and
   virtual environments are skipped);
3. ``uv``: interpreters ``uv python list --only-installed`` reports.

Each candidate is run once (in parallel, with a timeout) with a small stdlib-only
script; broken ones are skipped silently. Only CPython 3.9 or newer, non-venv,
non-free-threaded installations are kept, one per real prefix, newest first.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.version import InvalidVersion, Version

from venvstacks.runtimes.model import InstalledPython
from venvstacks.uvtool import UvSettings, run_uv

if TYPE_CHECKING:
    from venvstacks.spec.model import RuntimeRequest

#: Oldest Python version venvstacks adopts.
MINIMUM_VERSION = (3, 9)
#: Seconds a candidate interpreter gets to answer the query.
QUERY_TIMEOUT = 20.0
ORIGINS = ("pyenv", "path", "uv")

_EXECUTABLE_NAME = re.compile(r"^python3(\.\d+)?$")

#: Run by every candidate; prints one JSON line. Plain old syntax, so that any Python 3
#: answers (too-old ones are filtered out afterwards rather than failing).
QUERY_SCRIPT = """\
import json, os, sys, sysconfig
v = sys.version_info
version = "%d.%d.%d" % tuple(v[:3])
if v.releaselevel != "final":
    level = {"alpha": "a", "beta": "b", "candidate": "rc"}.get(v.releaselevel, "")
    version += level + str(v.serial)
base = getattr(sys, "base_prefix", sys.prefix)
exe_dir = os.path.dirname(os.path.abspath(sys.executable))
marker = any(
    os.path.exists(os.path.join(d, "pyvenv.cfg"))
    for d in (exe_dir, os.path.dirname(exe_dir))
)
shared = bool(sysconfig.get_config_var("Py_ENABLE_SHARED"))
try:
    with open("/proc/self/maps") as maps:
        shared = "/libpython" in maps.read()
except OSError:
    pass
print(json.dumps({
    "implementation": sys.implementation.name,
    "version": version,
    "base_prefix": os.path.realpath(base),
    "executable": os.path.realpath(sys.executable),
    "shared": shared,
    "freethreaded": bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
        or "t" in getattr(sys, "abiflags", ""),
    "venv": sys.prefix != base or marker,
}))
"""


def discover_installed(settings: UvSettings | None = None) -> list[InstalledPython]:
    """List the CPython installations found on this machine, newest first.

    Results are cached per ``PATH``/``PYENV_ROOT`` value for the life of the process;
    :func:`clear_cache` forgets them.

    :param settings: how to run uv (for ``uv python list``); defaults apply if None.
    """
    return list(
        _discover(
            os.environ.get("PATH", ""),
            os.environ.get("PYENV_ROOT", ""),
            settings or UvSettings(),
        )
    )


def clear_cache() -> None:
    """Forget what :func:`discover_installed` found (for tests)."""
    _discover.cache_clear()
    _pyenv_root.cache_clear()


def find_matching(
    request: RuntimeRequest, installed: Iterable[InstalledPython]
) -> InstalledPython | None:
    """Return the newest installation satisfying a request, or None.

    An exact request (``cpython@3.11.7``) only matches that version; a minor one
    (``cpython@3.11``) matches any ``3.11.Z``.
    """
    matches = [
        python
        for python in installed
        if python.implementation == request.implementation
        and request.matches(python.version)
    ]
    return max(matches, key=lambda p: _version_key(p.version), default=None)


def parse_query_output(output: str, origin: str) -> InstalledPython | None:
    """Turn a candidate's answer to :data:`QUERY_SCRIPT` into an installation.

    :return: None when the output is unusable, or describes something venvstacks does
        not adopt (not CPython, older than 3.9, a venv, a free-threaded build).
    """
    try:
        info = json.loads(output.strip().splitlines()[-1])
        implementation = str(info["implementation"])
        version = str(info["version"])
        prefix = Path(info["base_prefix"])
        executable = Path(info["executable"])
        venv = bool(info["venv"])
        shared = bool(info["shared"])
        freethreaded = bool(info["freethreaded"])
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    if implementation != "cpython" or venv or freethreaded:
        return None
    parsed = _parse_version(version)
    if parsed is None or parsed.release[:2] < MINIMUM_VERSION:
        return None
    return InstalledPython(
        implementation, version, prefix, executable, origin, shared, freethreaded
    )


def sort_installed(found: Iterable[InstalledPython]) -> list[InstalledPython]:
    """Keep one installation per prefix (by origin preference) and sort newest first."""
    by_prefix: dict[Path, InstalledPython] = {}
    for python in sorted(found, key=lambda p: ORIGINS.index(p.origin)):
        by_prefix.setdefault(python.prefix, python)
    return sorted(
        by_prefix.values(),
        key=lambda p: (_version_key(p.version), -ORIGINS.index(p.origin), str(p.prefix)),
        reverse=True,
    )


@functools.cache
def _discover(
    path_env: str, pyenv_root_env: str, settings: UvSettings
) -> tuple[InstalledPython, ...]:
    root = _pyenv_root(pyenv_root_env)
    candidates: list[tuple[str, Path]] = []
    candidates += [("pyenv", path) for path in _pyenv_candidates(root)]
    candidates += [("path", path) for path in _path_candidates(path_env, root)]
    candidates += [("uv", path) for path in _uv_candidates(settings, root, path_env)]
    unique: dict[str, tuple[str, Path]] = {}
    for origin, path in candidates:
        unique.setdefault(os.path.realpath(path), (origin, path))
    answers = _AnswerCache.load()
    with ThreadPoolExecutor(max_workers=min(8, len(unique) or 1)) as pool:
        outputs = list(pool.map(lambda item: answers.query(item[1]), unique.values()))
    answers.save()
    found = [
        parse_query_output(output, origin)
        for (origin, _path), output in zip(unique.values(), outputs, strict=True)
        if output is not None
    ]
    return tuple(sort_installed(p for p in found if p is not None))


class _AnswerCache:
    """Interpreters' answers to :data:`QUERY_SCRIPT`, kept between runs.

    Keyed by the interpreter's path, real path, inode, size and mtime (a reinstalled or
    upgraded interpreter is a new file), stored in the venvstacks cache folder, so
    only new interpreters are run. Failures are not kept.
    """

    def __init__(self, path: Path | None, answers: dict[str, str]) -> None:
        self.path = path
        self.answers = answers
        self.changed = False

    @classmethod
    def load(cls) -> _AnswerCache:
        from venvstacks.runtimes.cache import cache_enabled, cache_root

        if not cache_enabled():
            return cls(None, {})
        path = cache_root() / "interpreters.json"
        try:
            data = json.loads(path.read_text("utf-8"))
            if isinstance(data, dict) and data.get("script") == _SCRIPT_HASH:
                answers = data.get("answers")
                if isinstance(answers, dict):
                    return cls(path, {str(k): str(v) for k, v in answers.items()})
        except (OSError, ValueError):
            pass
        return cls(path, {})

    def query(self, executable: Path) -> str | None:
        try:
            real = os.path.realpath(executable)
            st = Path(real).stat()
        except OSError:
            return None
        # The path as found too: a venv's python links to its base interpreter.
        key = f"{executable}|{real}|{st.st_ino}|{st.st_size}|{st.st_mtime_ns}"
        known = self.answers.get(key)
        if known is not None:
            return known
        output = run_query(executable)
        if output is not None:
            self.answers[key] = output
            self.changed = True
        return output

    def save(self) -> None:
        if self.path is None or not self.changed:
            return
        data = {"script": _SCRIPT_HASH, "answers": dict(sorted(self.answers.items()))}
        temp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temp.write_text(json.dumps(data, indent=0), "utf-8")
            os.replace(temp, self.path)
        except OSError:
            with contextlib.suppress(OSError):
                temp.unlink()


_SCRIPT_HASH = hashlib.sha256(QUERY_SCRIPT.encode()).hexdigest()[:16]


def run_query(executable: Path) -> str | None:
    """Run one interpreter with :data:`QUERY_SCRIPT`; its output, None if it failed."""
    try:
        result = subprocess.run(
            [os.fspath(executable), "-I", "-S", "-c", QUERY_SCRIPT],
            capture_output=True,
            text=True,
            timeout=QUERY_TIMEOUT,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if result.returncode != 0 or not result.stdout.strip():
        return None
    return result.stdout


@functools.cache
def _pyenv_root(pyenv_root_env: str) -> Path | None:
    """``pyenv root``, else ``$PYENV_ROOT``, else ``~/.pyenv``, if it exists."""
    pyenv = shutil.which("pyenv")
    if pyenv:
        try:
            result = subprocess.run(
                [pyenv, "root"], capture_output=True, text=True, timeout=10, check=False
            )
            if result.returncode == 0 and result.stdout.strip():
                root = Path(result.stdout.strip())
                if root.is_dir():
                    return root
        except (OSError, subprocess.SubprocessError):
            pass
    for candidate in (pyenv_root_env, "~/.pyenv"):
        if candidate and Path(candidate).expanduser().is_dir():
            return Path(candidate).expanduser()
    return None


def _pyenv_candidates(root: Path | None) -> list[Path]:
    if root is None:
        return []
    found = []
    for path in sorted((root / "versions").glob("*/bin/python3*")):
        if _EXECUTABLE_NAME.match(path.name) and _is_interpreter(path):
            found.append(path)
    return found


def _path_candidates(path_env: str, pyenv_root: Path | None) -> list[Path]:
    found = []
    for folder in path_env.split(os.pathsep):
        if not folder or _is_shims_dir(Path(folder), pyenv_root):
            continue
        try:
            paths = sorted(Path(folder).iterdir())
        except OSError:
            continue
        for path in paths:
            if _EXECUTABLE_NAME.match(path.name) and _is_interpreter(path):
                found.append(path)
    return found


def _uv_candidates(
    settings: UvSettings, pyenv_root: Path | None, path_env: str
) -> list[Path]:
    # uv runs every python3.X on PATH; pyenv shims are bash scripts that take a
    # long time to fail, and they are skipped anyway: keep them off uv's PATH.
    path = os.pathsep.join(
        folder
        for folder in path_env.split(os.pathsep)
        if folder and not _is_shims_dir(Path(folder), pyenv_root)
    )
    try:
        result = run_uv(
            ["python", "list", "--only-installed", "--output-format", "json"],
            settings,
            extra_env={"UV_PYTHON_DOWNLOADS": "never", "PATH": path},
        )
    except OSError:
        return []
    if not result.ok:
        return []
    return [
        path
        for path in parse_uv_paths(result.stdout)
        if not _is_shims_dir(path.parent, pyenv_root) and _is_interpreter(path)
    ]


def parse_uv_paths(output: str) -> list[Path]:
    """Interpreter paths from ``uv python list --output-format json`` (CPython only)."""
    try:
        entries = json.loads(output)
    except ValueError:
        return []
    paths: list[Path] = []
    if not isinstance(entries, list):
        return paths
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        path = entry.get("path")
        if entry.get("implementation") == "cpython" and isinstance(path, str):
            paths.append(Path(path))
    return paths


def _is_shims_dir(folder: Path, pyenv_root: Path | None) -> bool:
    """Whether a folder holds pyenv shims (shell scripts, not interpreters)."""
    if folder.name != "shims":
        return False
    if pyenv_root is not None:
        try:
            if folder.resolve().is_relative_to(pyenv_root.resolve()):
                return True
        except OSError:
            pass
    return "pyenv" in folder.as_posix()


def _is_interpreter(path: Path) -> bool:
    """Whether a path is a runnable file outside any virtual environment."""
    if not path.is_file() or not os.access(path, os.X_OK):
        return False
    return not any((folder / "pyvenv.cfg").exists() for folder in _venv_dirs(path))


def _venv_dirs(path: Path) -> Sequence[Path]:
    return (path.parent, path.parent.parent)


def _parse_version(version: str) -> Version | None:
    try:
        return Version(version)
    except InvalidVersion:
        return None


def _version_key(version: str) -> Version:
    return _parse_version(version) or Version("0")
