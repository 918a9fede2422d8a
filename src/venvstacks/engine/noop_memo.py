"""The no-op build memo: "nothing to do", answered before the engine loads.

A ``venvstacks build`` with nothing to do still pays for importing the engine, loading
the spec and checking every layer's lock and build stamp. After such a run (or after
a build that left every selected layer current), the engine records a *memo*: a small
JSON file in the user cache folder (:mod:`venvstacks.cachedir`), named by a *key*
that hashes how the command was invoked, and holding

* ``watched``: every path the engine's decision reads (spec, locks, modules, build
  stamps, layer folders, ``sys.path`` folders, this package) with its
  ``(st_ino, st_size, st_mtime_ns, st_ctime_ns)``, or ``null`` when it was missing;
* ``locks``: the run lock files of the folders the command would lock (the build
  folder's);
* ``text``: what the run printed on stdout (``Nothing to do: ...``).

The next identical invocation (:func:`answer`, called by the command line before it
imports click) re-stats the watched paths; when every one is unchanged and no other
command holds one of the locks, it prints the text and the process ends. Anything
else (a changed or missing path, a busy folder, no memo, an unreadable memo, any
error) falls through to the normal command, which decides again.

This module is the memo's reader and the home of its format. It imports only the
standard library; the writer, which needs the loaded stack, is
:mod:`venvstacks.engine.noop_watch`. ``VENVSTACKS_NOOP_MEMO=0`` turns memos off.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from venvstacks.cachedir import cache_root_text

__all__ = [
    "FORMAT",
    "MAX_WATCHED",
    "MEMO_ENV_VAR",
    "Invocation",
    "answer",
    "fingerprint",
    "invocation",
    "lock_is_free",
    "memo_document",
    "memo_enabled",
    "memo_path",
    "started",
]

#: Raise when the memo's content or the key's inputs change meaning.
FORMAT = 2
#: ``0``/``false``/``no``/``off`` turns the memo off (no reading, no writing).
MEMO_ENV_VAR = "VENVSTACKS_NOOP_MEMO"
#: A decision that reads more paths than this gets no memo (re-stating them all
#: would cost about as much as deciding again).
MAX_WATCHED = 5000
#: The memo files' folder below the cache folder.
MEMO_DIR = "noop-memos"
#: The command whose "nothing to do" answer is memoised.
COMMAND = "build"
#: Environment variables (besides ``VENVSTACKS_*`` and ``UV_*``) in the key.
KEY_ENV_VARS = ("HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "PYTHONPATH")

#: ``(st_ino, st_size, st_mtime_ns, st_ctime_ns)``, or None for a missing path.
Fingerprint = tuple[int, int, int, int] | None


def memo_enabled(environ: Mapping[str, str] | None = None) -> bool:
    """Whether memos are read and written (``VENVSTACKS_NOOP_MEMO`` is not off)."""
    value = (os.environ if environ is None else environ).get(MEMO_ENV_VAR, "1")
    return value.strip().lower() not in ("0", "false", "no", "off")


class Invocation:
    """How this process was asked to run: the memo key and what it was made from.

    :ivar key: hex SHA-256 over the key inputs (see :func:`invocation`).
    :ivar search_path: ``sys.path`` when the process started (watched by the writer).
    """

    __slots__ = ("key", "search_path")

    def __init__(self, key: str, search_path: Sequence[str]) -> None:
        self.key = key
        self.search_path = tuple(search_path)


def _tool_version() -> str:
    from venvstacks.version import tool_version

    return tool_version()


def invocation(
    argv: Sequence[str],
    *,
    environ: Mapping[str, str] | None = None,
    cwd: str | None = None,
    executable: str | None = None,
    search_path: Sequence[str] | None = None,
    tool: str | None = None,
) -> Invocation | None:
    """The invocation of ``venvstacks ARGV`` (after the program name), or None.

    None when memos are off or ``argv`` cannot be a ``build`` command. The key hashes
    the tool version, the interpreter, the working folder, ``argv`` exactly, every
    ``VENVSTACKS_*`` and ``UV_*`` variable, the variables in :data:`KEY_ENV_VARS` and
    ``sys.path``. The keyword arguments replace what this process has (for tests).
    """
    environ = os.environ if environ is None else environ
    if COMMAND not in argv or not memo_enabled(environ):
        return None
    search_path = list(sys.path if search_path is None else search_path)
    variables = {
        name: value
        for name, value in environ.items()
        if name.startswith(("VENVSTACKS_", "UV_")) or name in KEY_ENV_VARS
    }
    inputs = {
        "format": FORMAT,
        "tool": _tool_version() if tool is None else tool,
        "python": sys.executable if executable is None else executable,
        "cwd": os.getcwd() if cwd is None else cwd,
        "argv": list(argv),
        "env": sorted(variables.items()),
        "sys_path": search_path,
    }
    text = json.dumps(inputs, sort_keys=True, ensure_ascii=True)
    key = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return Invocation(key, search_path)


def memo_path(key: str) -> str:
    """Where the memo of ``key`` lives."""
    return os.path.join(cache_root_text(), MEMO_DIR, key + ".json")


def fingerprint(path: str) -> Fingerprint:
    """What the memo records of one watched path (symlinks followed)."""
    try:
        found = os.stat(path)
    except (OSError, ValueError):
        return None
    return (found.st_ino, found.st_size, found.st_mtime_ns, found.st_ctime_ns)


def memo_document(
    key: str,
    watched: Iterable[tuple[str, Fingerprint]],
    text: str,
    locks: Sequence[str] = (),
) -> dict[str, Any]:
    """The JSON document of a memo (written by the engine, read by :func:`answer`)."""
    return {
        "format": FORMAT,
        "key": key,
        "text": text,
        "watched": [[path, None if fp is None else list(fp)] for path, fp in watched],
        "locks": list(locks),
    }


def lock_is_free(path: str) -> bool:
    """Whether no command holds the run lock file ``path`` (see engine.runlock).

    Run locks are ``flock`` locks; a shared lock is taken and dropped at once. Where
    ``flock`` does not exist, the memo is not trusted.
    """
    try:
        import fcntl
    except ImportError:
        return False
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return True  # never locked (its folder is watched: it would have changed)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return False
    finally:
        os.close(fd)  # also drops the shared lock
    return True


def _unchanged(document: Any, key: str) -> str | None:
    """The memo's text when it is well-formed, for ``key``, and nothing changed."""
    if not isinstance(document, dict):
        return None
    if document.get("format") != FORMAT or document.get("key") != key:
        return None
    text, watched = document.get("text"), document.get("watched")
    if not isinstance(text, str) or not isinstance(watched, list) or not watched:
        return None
    locks = document.get("locks")
    if not isinstance(locks, list) or not all(isinstance(x, str) for x in locks):
        return None
    for entry in watched:
        path, recorded = entry
        if not isinstance(path, str):
            return None
        now = fingerprint(path)
        if (None if now is None else list(now)) != recorded:
            return None
    if not all(lock_is_free(path) for path in locks):
        return None  # another command is changing things: wait for it, then decide
    return text


#: The invocation :func:`answer` worked out for this process (None: not a build).
_started: Invocation | None = None


def started() -> Invocation | None:
    """The invocation of this process, when the command line asked for a memo."""
    return _started


def answer(argv: Sequence[str]) -> str | None:
    """The memoised output of ``venvstacks ARGV``, or None to run the command.

    Remembers the invocation (see :func:`started`) so that the command can record a
    memo for it afterwards. Never raises for a missing, unreadable or stale memo.
    """
    global _started
    _started = found = invocation(argv)
    if found is None:
        return None
    try:
        with open(memo_path(found.key), encoding="utf-8") as stream:
            document = json.load(stream)
        return _unchanged(document, found.key)
    except (OSError, ValueError, TypeError):
        return None
