"""``StackProject``: a stack in a folder of its own, driven through the engine API."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from venvstacks._injected.schema import LayerConfig
    from venvstacks.engine.options import EngineOptions, RuntimeSource
    from venvstacks.engine.results import BuildReport, LockReport
    from venvstacks.engine.stack import Stack
    from venvstacks.reporting import RecordingReporter


class StackProject:
    """A stack spec plus its files in ``root``, with helpers to lock, build and run it.

    Every engine call records its events in :attr:`reporter` (a RecordingReporter).
    """

    def __init__(
        self,
        root: Path,
        *,
        uv_cache_dir: Path | None = None,
        runtime_source: RuntimeSource = "auto",
        build_dir: Path | None = None,
        jobs: int | None = None,
    ) -> None:
        from venvstacks.engine.build_folder import default_build_dir
        from venvstacks.reporting import RecordingReporter

        self.root = root
        self.spec_path = root / "venvstacks.toml"
        self.build_dir = build_dir or default_build_dir(root)
        self.uv_cache_dir = uv_cache_dir
        self.runtime_source: RuntimeSource = runtime_source
        self.jobs = jobs
        self.reporter: RecordingReporter = RecordingReporter()

    def write(self, relative: str, text: str) -> Path:
        """Write a file under the project root (dedented); returns its path."""
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), "utf-8")
        return path

    def write_files(self, files: Mapping[str, str]) -> None:
        """Write several files at once (relative path -> text)."""
        for relative, text in files.items():
            self.write(relative, text)

    def options(self, **changes: Any) -> EngineOptions:
        """Engine options for this project (``changes`` override fields)."""
        from venvstacks.engine.options import EngineOptions

        values: dict[str, Any] = {
            "build_dir": self.build_dir,
            "runtime_source": self.runtime_source,
            "uv_cache_dir": self.uv_cache_dir,
            "jobs": self.jobs,
        }
        values.update(changes)
        return EngineOptions(**values)

    def stack(self, plugins: Iterable[object] = (), **option_changes: Any) -> Stack:
        """Load the spec into an engine Stack (no entry-point plugins, for isolation)."""
        from venvstacks.engine.stack import Stack
        from venvstacks.plugins.manager import PluginManager

        manager = PluginManager(objects=plugins, entry_points=False)
        return Stack.load(
            self.spec_path,
            self.options(**option_changes),
            plugins=manager,
            reporter=self.reporter,
        )

    def _split(
        self, plugins: Iterable[object], kwargs: dict[str, Any]
    ) -> tuple[Stack, dict[str, Any]]:
        """A Stack with the engine options among ``kwargs``; the rest are call arguments."""
        from dataclasses import fields

        from venvstacks.engine.options import EngineOptions

        names = {f.name for f in fields(EngineOptions)}
        options = {k: v for k, v in kwargs.items() if k in names}
        call = {k: v for k, v in kwargs.items() if k not in names}
        return self.stack(plugins, **options), call

    def lock(
        self, *include: str, plugins: Iterable[object] = (), **kwargs: Any
    ) -> LockReport:
        """Lock the stack (or the included layers).

        Keyword arguments naming EngineOptions fields (``index``, ``local_wheels``,
        ...) set options; the others go to :meth:`Stack.lock`.
        """
        stack, call = self._split(plugins, kwargs)
        return stack.lock(include, **call)

    def build(
        self, *include: str, plugins: Iterable[object] = (), **kwargs: Any
    ) -> BuildReport:
        """Build the stack (or the included layers); keywords as for :meth:`lock`."""
        stack, call = self._split(plugins, kwargs)
        return stack.build(include, **call)

    def env_path(self, env_name: str) -> Path:
        """A layer's environment in the build folder."""
        return self.build_dir / env_name

    def python(self, env_name: str, root: Path | None = None) -> Path:
        """A layer's Python (``bin/python``; for runtimes the versioned interpreter)."""
        folder = (root or self.build_dir) / env_name
        return folder / self._layer_config(folder)["python"]

    def run_python(
        self,
        env_name: str,
        *args: str,
        root: Path | None = None,
        check: bool = True,
        isolated: bool = True,
        env: Mapping[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run a layer's Python with arguments (``-I`` unless ``isolated=False``)."""
        command = [str(self.python(env_name, root)), *(["-I"] if isolated else []), *args]
        return _run(command, check=check, env=env)

    def run_app(
        self,
        env_name: str,
        *args: str,
        root: Path | None = None,
        check: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        """Run an application layer's launch module with ``python -m``."""
        config = self._layer_config((root or self.build_dir) / env_name)
        return self.run_python(
            env_name, "-m", config["launch_module"], *args, root=root, check=check
        )

    @staticmethod
    def _layer_config(folder: Path) -> LayerConfig:
        """The ``venvstacks_layer.json`` of a built or deployed layer folder."""
        import json

        from venvstacks._injected.schema import LAYER_CONFIG_PATH

        config: LayerConfig = json.loads((folder / LAYER_CONFIG_PATH).read_text("utf-8"))
        return config

    def cli(
        self, *args: str, check: bool = False, env: Mapping[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run the ``venvstacks`` CLI in a subprocess, from the project root."""
        extra: dict[str, str] = {"VENVSTACKS_RUNTIME_SOURCE": self.runtime_source}
        if self.uv_cache_dir is not None:
            extra["VENVSTACKS_UV_CACHE_DIR"] = str(self.uv_cache_dir)
        extra.update(env or {})
        return _run(
            [sys.executable, "-m", "venvstacks", *args],
            check=check,
            env=extra,
            cwd=self.root,
        )


def _run(
    command: Sequence[str],
    *,
    check: bool,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    full_env = dict(os.environ)
    full_env.pop("PYTHONPATH", None)
    full_env.update(env or {})
    result = subprocess.run(
        list(command), capture_output=True, text=True, env=full_env, cwd=cwd, check=False
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"command failed with status {result.returncode}: {' '.join(command)}\n"
            f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}"
        )
    return result
