"""Running uv: where its binary is, the environment it runs in, and its output."""

from __future__ import annotations

import functools
import os
import subprocess
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from venvstacks import cancel
from venvstacks.reporting import NullReporter, Output, Reporter

#: Environment variables that would make uv behave differently from what a stack says.
_SCRUBBED_VARS = (
    "VIRTUAL_ENV",
    "CONDA_PREFIX",
    "PYTHONHOME",
    "PYTHONPATH",
    "UV_PYTHON",
    "UV_SYSTEM_PYTHON",
    "UV_PROJECT_ENVIRONMENT",
    "UV_CONSTRAINT",
    "UV_OVERRIDE",
    "UV_EXCLUDE_NEWER",
    "UV_INDEX",
    "UV_INDEX_URL",
    "UV_DEFAULT_INDEX",
    "UV_EXTRA_INDEX_URL",
    "UV_FIND_LINKS",
    "UV_NO_INDEX",
    "UV_PRERELEASE",
    "UV_RESOLUTION",
)


_FIND_LOCK = threading.Lock()


@functools.cache
def _find_uv() -> str:
    from uv import find_uv_bin

    return os.fspath(find_uv_bin())


def uv_binary() -> str:
    """The uv executable shipped with the ``uv`` package this tool depends on.

    Thread safe: ``find_uv_bin`` reads ``sysconfig``, whose first use is not (two
    threads initialising it at once can see half-filled config variables).
    """
    with _FIND_LOCK:
        return _find_uv()


@functools.cache
def _uv_version() -> str:
    out = subprocess.run(
        [uv_binary(), "--version"], capture_output=True, text=True, check=False
    ).stdout.split()
    return out[1] if len(out) > 1 else "unknown"


def uv_version() -> str:
    """uv's version string (``0.9.5``)."""
    with _VERSION_LOCK:
        return _uv_version()


_VERSION_LOCK = threading.Lock()


#: Runs one uv command instead of a uv subprocess (a test seam):
#: ``runner(args, cwd, environ) -> UvResult``, ``args`` without the uv binary.
UvRunner = Callable[[list[str], "Path | None", dict[str, str]], "UvResult"]


@dataclass(frozen=True)
class UvSettings:
    """How every uv subprocess of one engine run is configured.

    ``runner`` replaces the uv binary (tests run engine logic without uv with it).
    """

    cache_dir: Path | None = None
    offline: bool = False
    runner: UvRunner | None = field(default=None, compare=False)

    def environ(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The environment for a uv subprocess."""
        env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED_VARS}
        env["UV_NO_PROGRESS"] = "1"
        env["NO_COLOR"] = "1"
        env.pop("FORCE_COLOR", None)
        env.setdefault("UV_PYTHON_DOWNLOADS", "never")
        if self.cache_dir is not None:
            env["UV_CACHE_DIR"] = os.fspath(self.cache_dir)
        if self.offline:
            env["UV_OFFLINE"] = "1"
        if extra:
            env.update(extra)
        return env


@dataclass(frozen=True)
class UvResult:
    """A finished uv command."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        """True when uv exited with status 0."""
        return self.returncode == 0

    def reason(self) -> str:
        """uv's complaint as one line of text, for error paragraphs."""
        lines = [line.strip() for line in self.stderr.splitlines() if line.strip()]
        interesting = [
            line
            for line in lines
            if not line.startswith(
                (
                    "Using ",
                    "Resolved ",
                    "Prepared ",
                    "Installed ",
                    "Audited ",
                    "Uninstalled ",
                    "Checked ",
                    "warning:",
                )
            )
        ]
        text = " ".join(interesting or lines) or f"uv exited with status {self.returncode}"
        return text.replace("  ", " ")


def run_uv(
    args: Sequence[str],
    settings: UvSettings,
    *,
    cwd: Path | None = None,
    extra_env: Mapping[str, str] | None = None,
    reporter: Reporter | None = None,
    layer: str = "",
) -> UvResult:
    """Run ``uv ARGS``; stderr lines are reported as they arrive."""
    reporter = reporter or NullReporter()
    if settings.runner is not None:
        faked = settings.runner(list(args), cwd, settings.environ(extra_env))
        for line in faked.stderr.splitlines():
            reporter.report(Output(layer, line))
        return faked
    command = [uv_binary(), *args]
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=settings.environ(extra_env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
        # Its own process group, so an interrupt kills uv and whatever it started.
        start_new_session=True,
    )
    cancel.register(process)
    stderr_lines: list[str] = []

    def pump() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            stderr_lines.append(line)
            reporter.report(Output(layer, line.rstrip("\n")))

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    assert process.stdout is not None
    try:
        with process:  # closes the pipes
            stdout = process.stdout.read()
            returncode = process.wait()
            thread.join()
    except BaseException:
        cancel.kill(process)
        process.wait()
        raise
    finally:
        cancel.unregister(process)
    cancel.check()  # killed because the run was interrupted
    return UvResult(tuple(command), returncode, stdout, "".join(stderr_lines))
