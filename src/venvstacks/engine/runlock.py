"""One command at a time per folder.

Every command that writes the build folder (lock, build, publish, local-export) holds
an exclusive lock on it for its whole run, and publish and local-export also lock
their output folder (always in that order, so two commands never wait on each other).
A second command on the same folder waits, saying so, or fails at once when asked
not to wait. Locks are ``flock`` locks on a hidden lock file in the folder (what the
``filelock`` package takes on Unix, so the two see each other); they are reentrant
within one process, so a command that runs another (``build --publish``) does not wait
on itself. ``fcntl`` is used directly because every command takes a lock and
``filelock`` costs more to import than a no-op build spends deciding; where ``flock``
is missing (Windows, some network file systems), ``filelock`` takes the lock.
"""

from __future__ import annotations

import errno
import functools
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

from venvstacks import cancel
from venvstacks.errors import BusyError
from venvstacks.fsutil import make_folder, scratch_root
from venvstacks.reporting import Note, Reporter

if TYPE_CHECKING:
    from venvstacks.engine.stack import Stack

#: The lock file every locked folder holds (kept: removing it would race).
LOCK_NAME = ".venvstacks.lock"

P = ParamSpec("P")
R = TypeVar("R")


#: How often a waiting command tries the lock again.
POLL_SECONDS = 0.1

_BUSY = (errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES)


class _RunLock:
    """An exclusive lock on one lock file, reentrant within this process.

    One object per lock file (see :func:`_run_lock`): threads of one command share it.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._mutex = threading.Lock()
        self._count = 0
        self._fd: int | None = None
        self._fallback: Any = None  # a filelock.FileLock where flock is missing

    def try_acquire(self) -> bool:
        """Take the lock (or one more level of it) if nobody else holds it."""
        with self._mutex:
            if self._count:
                self._count += 1
                return True
            if self._fallback is None and self._flock():
                self._count = 1
                return True
            if self._fallback is None:
                return False
            return self._fallback_acquire()

    def _flock(self) -> bool:
        """Take the ``flock``; False when held elsewhere (or flock is missing)."""
        try:
            import fcntl
        except ImportError:
            return self._use_fallback()
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in _BUSY:
                return False
            return self._use_fallback()  # ENOSYS, ENOLCK: no flock on this file system
        self._fd = fd
        return True

    def _use_fallback(self) -> bool:
        from filelock import FileLock

        self._fallback = FileLock(self.path, is_singleton=True, thread_local=False)
        return False

    def _fallback_acquire(self) -> bool:
        from filelock import Timeout

        try:
            self._fallback.acquire(timeout=0)
        except Timeout:
            return False
        self._count = 1
        return True

    def release(self) -> None:
        """Give up one level of the lock; the last one unlocks the file."""
        with self._mutex:
            self._count -= 1
            if self._count:
                return
            if self._fd is not None:
                fd, self._fd = self._fd, None
                os.close(fd)  # closing the file drops the flock
            elif self._fallback is not None:
                self._fallback.release()


_LOCKS: dict[str, _RunLock] = {}
_LOCKS_MUTEX = threading.Lock()


def _run_lock(path: Path) -> _RunLock:
    key = os.path.abspath(path)
    with _LOCKS_MUTEX:
        return _LOCKS.setdefault(key, _RunLock(key))


@contextmanager
def folder_lock(
    folder: Path, what: str, *, wait: bool, reporter: Reporter
) -> Iterator[None]:
    """Hold the run lock of ``folder`` (created if needed) for the ``with`` body."""
    make_folder(folder, f"create the {what}")
    lock = _run_lock(folder / LOCK_NAME)
    if not lock.try_acquire():
        if not wait:
            raise BusyError(
                f"another venvstacks command is using the {what} {str(folder)!r}",
                hint="Wait for it to finish, or leave out --no-wait to wait for it.",
            )
        reporter.report(
            Note(
                "warning",
                f"waiting for another venvstacks command using the {what} "
                f"{folder} to finish...",
            )
        )
        while not lock.try_acquire():
            cancel.check()
            time.sleep(POLL_SECONDS)
    try:
        with scratch_root(folder):
            yield
    finally:
        lock.release()


def exclusive(
    method: Callable[Concatenate[Stack, P], R],
) -> Callable[Concatenate[Stack, P], R]:
    """Run a :class:`Stack` command holding the build folder's (and output folder's) lock.

    The output folder is the ``output_dir`` argument, when the command has one.
    """

    @functools.wraps(method)
    def locked(self: Stack, /, *args: P.args, **kwargs: P.kwargs) -> R:
        output = kwargs.get("output_dir", args[0] if args else None)
        if method.__name__ not in ("publish", "local_export") or kwargs.get("dry_run"):
            output = None  # a dry run writes nothing, not even the output folder
        wait = self.options.wait
        with ExitStack() as held:
            held.enter_context(
                folder_lock(
                    self.build_dir, "build folder", wait=wait, reporter=self.reporter
                )
            )
            # Lock files are written by the runs that hold the build folder.
            held.enter_context(scratch_root(self.spec.requirements_dir))
            if isinstance(output, str | os.PathLike):
                held.enter_context(
                    folder_lock(
                        Path(os.path.abspath(output)),
                        "output folder",
                        wait=wait,
                        reporter=self.reporter,
                    )
                )
            return method(self, *args, **kwargs)

    return locked
