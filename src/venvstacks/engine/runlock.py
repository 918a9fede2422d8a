"""One command at a time per folder.

Every command that writes the build folder (lock, build, publish, local-export) holds
an exclusive lock on it for its whole run, and publish and local-export also lock
their output folder (always in that order, so two commands never wait on each other).
A second command on the same folder waits, saying so, or fails at once when asked
not to wait. Locks are taken with the ``filelock`` package on a hidden lock file in
the folder; they are reentrant within one process, so a command that runs another
(``build --publish``) does not wait on itself.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Concatenate, ParamSpec, TypeVar

from filelock import FileLock, Timeout

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


@contextmanager
def folder_lock(
    folder: Path, what: str, *, wait: bool, reporter: Reporter
) -> Iterator[None]:
    """Hold the run lock of ``folder`` (created if needed) for the ``with`` body."""
    make_folder(folder, f"create the {what}")
    lock = FileLock(os.fspath(folder / LOCK_NAME), is_singleton=True, thread_local=False)
    if not _try_acquire(lock):
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
        while not _try_acquire(lock, timeout=0.2):
            cancel.check()
    try:
        with scratch_root(folder):
            yield
    finally:
        lock.release()


def _try_acquire(lock: FileLock, timeout: float = 0) -> bool:
    try:
        lock.acquire(timeout=timeout)
    except Timeout:
        return False
    return True


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
