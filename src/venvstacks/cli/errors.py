"""The one place where errors become exit codes and a printed paragraph."""

from __future__ import annotations

import contextlib
import signal
import threading
import traceback
from collections.abc import Callable, Iterator
from typing import TypeVar

from rich.console import Console
from rich.markup import escape

from venvstacks import cancel
from venvstacks.errors import (
    ArchiveError,
    BuildError,
    BusyError,
    DeployError,
    FileSystemError,
    HookError,
    LockError,
    RuntimeNotFoundError,
    SpecError,
    UsageError,
    VenvStacksError,
)

T = TypeVar("T")

EXIT_OK = 0
EXIT_INTERNAL = 70
#: ``venvstacks check``: the stack loaded, and at least one check failed.
EXIT_CHECKS_FAILED = 10
EXIT_INTERRUPTED = 130

#: Exit status for each error class (the most specific class wins).
EXIT_CODES: tuple[tuple[type[VenvStacksError], int], ...] = (
    (UsageError, 2),
    (SpecError, 3),
    (LockError, 4),
    (RuntimeNotFoundError, 5),
    (BuildError, 6),
    (ArchiveError, 7),
    (HookError, 8),
    (DeployError, 9),
    (BusyError, 11),
    (FileSystemError, 12),
    (VenvStacksError, 1),
)


def exit_codes_text() -> str:
    """The exit code table as one line of help text."""
    parts = [f"{EXIT_OK} success"]
    for kind, code in EXIT_CODES:
        if kind is UsageError:
            parts.append(f"{code} usage error or bad option")
        elif kind is not VenvStacksError:
            parts.append(f"{code} {kind.category}")
    parts.append(f"{EXIT_CHECKS_FAILED} a check failed (venvstacks check)")
    parts.append("1 other error")
    parts.append(f"{EXIT_INTERNAL} internal error (a bug)")
    parts.append(f"{EXIT_INTERRUPTED} interrupted")
    return "Exit codes: " + ", ".join(parts) + "."


def exit_code_for(error: VenvStacksError) -> int:
    """The exit status for an engine error."""
    for kind, code in EXIT_CODES:
        if isinstance(error, kind):
            return code
    return 1


def report_error(console: Console, error: VenvStacksError) -> int:
    """Print one paragraph for a user-facing error; return its exit status."""
    console.print(
        f"[bold red]{escape(error.paragraph())}[/]", soft_wrap=True, highlight=False
    )
    return exit_code_for(error)


def _interrupt(signum: int, frame: object) -> None:
    # Tell every thread and subprocess of the run to stop, then unwind this one.
    cancel.request()
    raise KeyboardInterrupt


@contextlib.contextmanager
def interrupts_stop_the_run() -> Iterator[None]:
    """Ctrl-C (SIGINT) and SIGTERM stop the whole run, threads and subprocesses too."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    cancel.reset()
    previous = {sig: signal.signal(sig, _interrupt) for sig in _STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def guarded(console: Console, action: Callable[[], T]) -> tuple[int, T | None]:
    """Run an engine call, turning every failure into an exit status."""
    try:
        with interrupts_stop_the_run():
            return EXIT_OK, action()
    except VenvStacksError as error:
        return report_error(console, error), None
    except KeyboardInterrupt:
        cancel.request()
        console.print("[red]interrupted: partial outputs were removed[/]")
        return EXIT_INTERRUPTED, None
    except OSError as exc:  # one the engine did not name more precisely
        failure = FileSystemError.from_os_error(exc, "complete the command")
        return report_error(console, failure), None
    except Exception:
        console.print(escape(traceback.format_exc()), highlight=False)
        console.print(
            "[bold red]internal error: venvstacks failed unexpectedly; the traceback "
            "above is a bug report waiting to happen.[/]"
        )
        return EXIT_INTERNAL, None
