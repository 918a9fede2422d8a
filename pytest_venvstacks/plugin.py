"""The pytest11 entry point of venvstacks: options and fixtures for testing stacks.

This module loads in every pytest run where venvstacks is installed, so it imports
only pytest at import time; the engine is imported inside fixtures.

Fixtures:

- ``venvstacks_uv_cache``: the uv cache folder shared by the whole test session.
- ``venvstacks_runtime_source``: ``auto``/``local``/``download`` for runtime layers.
- ``stack_project``: a factory making a :class:`StackProject` in a fresh temp folder.
- ``venvstacks_stacks``: session-scoped stacks, each locked and built once per session.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pytest_venvstacks.project import StackProject

UV_CACHE_ENV = "VENVSTACKS_TEST_UV_CACHE"


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the plugin's command-line options."""
    group = parser.getgroup("venvstacks")
    group.addoption(
        "--venvstacks-uv-cache",
        metavar="DIR",
        default=os.environ.get(UV_CACHE_ENV),
        help=f"uv cache for stacks built by tests (default: ${UV_CACHE_ENV} or uv's own).",
    )
    group.addoption(
        "--venvstacks-runtime-source",
        choices=("auto", "local", "download"),
        default=os.environ.get("VENVSTACKS_RUNTIME_SOURCE", "auto"),
        help="Where test stacks get runtime layers from (default: "
        "$VENVSTACKS_RUNTIME_SOURCE or auto).",
    )


@pytest.fixture(scope="session")
def venvstacks_uv_cache(pytestconfig: pytest.Config) -> Path | None:
    """The uv cache folder every stack of the session shares (None: uv's default)."""
    value = pytestconfig.getoption("venvstacks_uv_cache")
    if not value:
        return None
    path = Path(value).absolute()
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def venvstacks_runtime_source(pytestconfig: pytest.Config) -> str:
    """Where runtime layers of test stacks come from."""
    return str(pytestconfig.getoption("venvstacks_runtime_source"))


@pytest.fixture
def stack_project(
    tmp_path: Path, venvstacks_uv_cache: Path | None, venvstacks_runtime_source: str
) -> Callable[..., StackProject]:
    """Make a StackProject in a fresh folder: ``stack_project(spec_text, files)``.

    ``files`` maps relative paths to file contents (launch modules and the like).
    """
    from pytest_venvstacks.project import StackProject

    counter = iter(range(1_000_000))

    def make(
        spec: str, files: Mapping[str, str] | None = None, name: str = "stack", **kw: Any
    ) -> StackProject:
        root = tmp_path / f"{name}{next(counter) or ''}"
        root.mkdir(parents=True)
        project = StackProject(
            root,
            uv_cache_dir=venvstacks_uv_cache,
            runtime_source=kw.pop("runtime_source", venvstacks_runtime_source),
            **kw,
        )
        project.write("venvstacks.toml", spec)
        project.write_files(files or {})
        return project

    return make


class SessionStacks:
    """Stacks built once per test session, looked up by name."""

    def __init__(
        self,
        factory: pytest.TempPathFactory,
        uv_cache: Path | None,
        runtime_source: str,
    ) -> None:
        self._factory = factory
        self._uv_cache = uv_cache
        self._runtime_source = runtime_source
        self._stacks: dict[str, tuple[tuple[tuple[str, str], ...], StackProject]] = {}
        self._lock = threading.Lock()

    def get(
        self,
        name: str,
        spec: str,
        files: Mapping[str, str] | None = None,
        *,
        build: bool = True,
    ) -> StackProject:
        """The named stack, written, locked and (unless ``build=False``) built once."""
        from pytest_venvstacks.project import StackProject

        content = tuple(sorted({"venvstacks.toml": spec, **(files or {})}.items()))
        with self._lock:
            if name in self._stacks:
                known, project = self._stacks[name]
                if known != content:
                    raise ValueError(f"session stack {name!r} requested with other files")
                return project
            root = self._factory.mktemp(name)
            project = StackProject(
                root,
                uv_cache_dir=self._uv_cache,
                runtime_source=self._runtime_source,  # type: ignore[arg-type]
            )
            project.write_files(dict(content))
            project.lock()
            if build:
                project.build()
            self._stacks[name] = (content, project)
            return project


@pytest.fixture(scope="session")
def venvstacks_stacks(
    tmp_path_factory: pytest.TempPathFactory,
    venvstacks_uv_cache: Path | None,
    venvstacks_runtime_source: str,
) -> SessionStacks:
    """Session-wide stacks: ``venvstacks_stacks.get(name, spec, files)``."""
    return SessionStacks(tmp_path_factory, venvstacks_uv_cache, venvstacks_runtime_source)
