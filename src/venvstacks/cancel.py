"""Stopping a run promptly when the user interrupts it (Ctrl-C).

A front door calls :func:`request` when the user interrupts; from then on long loops
(compression, copying, waiting for a lock) see :func:`requested` and stop by raising
:class:`KeyboardInterrupt`, and the subprocesses registered here (uv, interpreters)
are killed, so every thread of the run ends within about a second and cleans up
after itself on the way out.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading

_EVENT = threading.Event()
_LOCK = threading.Lock()
_PROCESSES: set[subprocess.Popen[str]] = set()


def request() -> None:
    """Ask every part of the run to stop, and kill the registered subprocesses."""
    _EVENT.set()
    with _LOCK:
        processes = list(_PROCESSES)
    for process in processes:
        kill(process)


def kill(process: subprocess.Popen[str]) -> None:
    """Kill a subprocess and, when it leads its own process group, the whole group.

    Killing only uv would leave its children (a Python it runs) holding the pipes
    open, and the run would wait for them.
    """
    with contextlib.suppress(OSError):  # already gone
        if os.name == "posix" and os.getpgid(process.pid) == process.pid:
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()


def requested() -> bool:
    """Whether the run was asked to stop."""
    return _EVENT.is_set()


def check() -> None:
    """Raise :class:`KeyboardInterrupt` if the run was asked to stop."""
    if _EVENT.is_set():
        raise KeyboardInterrupt


def reset() -> None:
    """Forget an earlier request (a new run in the same process)."""
    _EVENT.clear()


def register(process: subprocess.Popen[str]) -> None:
    """Kill ``process`` when the run is interrupted (until :func:`unregister`)."""
    with _LOCK:
        _PROCESSES.add(process)
    if _EVENT.is_set():
        request()


def unregister(process: subprocess.Popen[str]) -> None:
    """Stop tracking a finished subprocess."""
    with _LOCK:
        _PROCESSES.discard(process)
