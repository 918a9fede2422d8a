"""The pytest11 entry point of venvstacks: options and fixtures for testing stacks.

This module loads in every pytest run where venvstacks is installed, so it imports
only pytest at import time; the engine is imported inside fixtures.

Fixtures:

- ``venvstacks_uv_cache``: the uv cache folder shared by the whole test session.
- ``venvstacks_runtime_source``: ``auto``/``local``/``download`` for runtime layers.
- ``stack_project``: a factory making a :class:`StackProject` in a fresh temp folder.
- ``venvstacks_stacks``: session-scoped stacks, each locked and built once per session.
- ``venvstacks_layer``: a deployed layer of the stacks given with ``--venvstacks``
  (tests using it are parametrised over those layers; narrow them with
  ``@pytest.mark.venvstacks_layers("app-*")``).
- ``venvstacks_deployed``: every deployed layer of those stacks, by env name.

``--venvstacks DIR`` turns each given stack into test items (``pytest_venvstacks.collect``).
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
    from pytest_venvstacks.options import add_collector_options

    add_collector_options(parser)
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


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker; add the stacks given with ``--venvstacks`` to collection.

    Stacks named on the command line replace the default test paths (``testpaths`` or
    the current folder): ``pytest --venvstacks DIR`` checks only the stack, and
    ``pytest tests --venvstacks DIR`` runs both. Stacks named in the
    ``venvstacks_specs`` ini key are added to whatever else is collected.
    """
    config.addinivalue_line(
        "markers",
        "venvstacks_layers(*patterns): run a venvstacks_layer test only on the layers "
        "whose env names match one of the globs",
    )
    from pytest_venvstacks.options import spec_paths

    given, from_ini = spec_paths(config)
    specs = list(dict.fromkeys([*given, *from_ini]))
    if not specs:
        return
    from pytest_venvstacks.collect import RUNS_KEY, StackRuns
    from pytest_venvstacks.options import CollectorSettings

    config.stash[RUNS_KEY] = StackRuns(specs, CollectorSettings.from_config(config))
    explicit = config.args_source == pytest.Config.ArgsSource.ARGS
    args = list(config.args) if explicit or not given else []
    for spec in specs:
        covered = any(_is_within(spec, Path(arg.split("::")[0])) for arg in args)
        if not covered:
            args.append(str(spec))
    config.args = args


def _is_within(path: Path, arg: Path) -> bool:
    arg = arg.absolute()
    return path == arg or arg in path.parents


def pytest_collect_file(
    file_path: Path, parent: pytest.Collector
) -> pytest.Collector | None:
    """Collect a stack spec given with ``--venvstacks`` (or the ini key)."""
    from pytest_venvstacks.collect import RUNS_KEY

    runs = parent.config.stash.get(RUNS_KEY, None)
    if runs is None or file_path not in runs.runs:
        return None
    from pytest_venvstacks.collect import StackFile

    node: StackFile = StackFile.from_parent(parent, path=file_path)
    node.run = runs.runs[file_path]
    return node


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrise ``venvstacks_layer`` tests over the layers of the stacks under test."""
    if "venvstacks_layer" not in metafunc.fixturenames:
        return
    from fnmatch import fnmatchcase

    from pytest_venvstacks.collect import RUNS_KEY

    runs = metafunc.config.stash.get(RUNS_KEY, None)
    patterns: list[str] = []
    for mark in metafunc.definition.iter_markers("venvstacks_layers"):
        patterns.extend(str(arg) for arg in mark.args)
    params: list[tuple[Path, str]] = []
    ids: list[str] = []
    several = runs is not None and len(runs.runs) > 1
    for path, run in (runs.runs if runs is not None else {}).items():
        for layer in run.layers():
            name = layer.env_name
            if patterns and not any(fnmatchcase(name, p) for p in patterns):
                continue
            params.append((path, name))
            ids.append(f"{path.parent.name}:{name}" if several else name)
    metafunc.parametrize("venvstacks_layer", params, ids=ids, indirect=True)


@pytest.fixture
def venvstacks_layer(request: pytest.FixtureRequest) -> Any:
    """A deployed layer of a stack under test (a :class:`DeployedLayer`).

    Tests using it run once per layer of the stacks given with ``--venvstacks``; the
    layers are the published archives unpacked side by side in a temporary folder
    (then moved), exactly what the ``relocatable`` check looked at.
    """
    from pytest_venvstacks.deployed import deployed_layer

    path, name = request.param
    return deployed_layer(request.session, path, name)


@pytest.fixture(scope="session")
def venvstacks_deployed(request: pytest.FixtureRequest) -> Any:
    """Every deployed layer of the stacks under test: ``{env_name: DeployedLayer}``."""
    from pytest_venvstacks.deployed import all_deployed

    return all_deployed(request.session)


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """One line per stack: layers x checks and how many passed, failed, skipped."""
    from pytest_venvstacks.collect import RUNS_KEY

    runs = config.stash.get(RUNS_KEY, None)
    if runs is None:
        return
    from pytest_venvstacks.deployed import summary_lines

    for line in summary_lines(runs, config):
        terminalreporter.write_line(line)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove the temporary folders of the stacks under test."""
    from pytest_venvstacks.collect import RUNS_KEY

    runs = config.stash.get(RUNS_KEY, None)
    if runs is not None:
        runs.close()
