"""The ``--venvstacks DIR`` collector: a stack file -> layers -> one item per check.

Node ids name the stack, the layer's env name and the check, e.g.
``sample_project/venvstacks.toml::app-report::imports``. All items of one stack share
one :class:`StackRun`: the first item that runs locks, builds and publishes the layers
the selected items need (in a temporary copy of the project) and runs every selected
check, layers in parallel; each item then reports its own result.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_venvstacks.options import CollectorSettings

if TYPE_CHECKING:
    from venvstacks.engine.checking import CheckReport, StackCheck
    from venvstacks.spec.model import LayerSpec

RUNS_KEY = pytest.StashKey["StackRuns"]()

#: Fixtures that need the stack's layers deployed (published and unpacked).
DEPLOY_FIXTURES = ("venvstacks_layer", "venvstacks_deployed")


class StackRun:
    """One stack under test for the whole session."""

    def __init__(self, spec_path: Path, settings: CollectorSettings) -> None:
        self.spec_path = spec_path
        self.settings = settings
        self._check: StackCheck | None = None
        self._report: CheckReport | None = None
        self._error: BaseException | None = None
        self._lock = threading.Lock()

    @property
    def check(self) -> StackCheck:
        """The engine's check run (the project is copied on first use)."""
        if self._check is None:
            self._check = make_stack_check(self.spec_path, self.settings)
        return self._check

    def layers(self) -> tuple[LayerSpec, ...]:
        """The layers checked on this platform."""
        return self.check.layers(self.settings.include)

    @property
    def finished_report(self) -> CheckReport | None:
        """The results, once the checks ran."""
        return self._report

    def report(self, session: pytest.Session) -> CheckReport:
        """Run every check the session selected for this stack (once)."""
        with self._lock:
            if self._error is not None:
                raise self._error
            if self._report is None:
                try:
                    wanted, deploy = self._wanted(session)
                    self._report = self.check.run(wanted, deploy)
                except BaseException as exc:
                    self._error = exc
                    raise
            return self._report

    def _wanted(self, session: pytest.Session) -> tuple[dict[str, set[str]], set[str]]:
        from pytest_venvstacks.items import CheckItem

        wanted: dict[str, set[str]] = {}
        deploy = False
        for item in session.items:
            if isinstance(item, CheckItem) and item.run is self:
                wanted.setdefault(item.layer_name, set()).add(item.check)
            fixtures = getattr(item, "fixturenames", ())
            deploy = deploy or any(name in fixtures for name in DEPLOY_FIXTURES)
        names = {layer.env_name for layer in self.layers()}
        return wanted, names if deploy else set()

    def close(self) -> None:
        """Remove the run's temporary folder."""
        if self._check is not None:
            self._check.close()


def make_stack_check(spec_path: Path, settings: CollectorSettings) -> StackCheck:
    """The engine's StackCheck for a spec, configured like the CLI would be."""
    import os

    from venvstacks.checks.imports import DEFAULT_SKIP
    from venvstacks.engine.checking import CheckOptions, StackCheck
    from venvstacks.engine.options import EngineOptions, runtime_source
    from venvstacks.plugins.manager import PluginManager, plugin_names_from_env

    spec_dir = spec_path.parent

    def resolve(value: str) -> Path:
        return Path(os.path.normpath(spec_dir / os.path.expanduser(value)))

    options = EngineOptions(
        build_dir=resolve(settings.build_dir) if settings.build_dir else None,
        runtime_source=runtime_source(settings.runtime_source),
        local_wheels=tuple(resolve(p) for p in settings.local_wheels),
        index=settings.index,
        uv_cache_dir=Path(os.path.abspath(settings.uv_cache_dir))
        if settings.uv_cache_dir
        else None,
        jobs=settings.jobs,
    )
    check_options = CheckOptions(
        checks=settings.checks,
        locked=settings.locked,
        skip_modules=settings.skip_modules or DEFAULT_SKIP,
        archive_format=settings.archive_format,
    )
    plugins = PluginManager([*plugin_names_from_env(), *settings.plugins])
    return StackCheck(spec_path, options, check_options, plugins=plugins)


class StackRuns:
    """The stacks of a session, by spec path."""

    def __init__(self, specs: list[Path], settings: CollectorSettings) -> None:
        self.settings = settings
        self.runs = {path: StackRun(path, settings) for path in specs}

    def close(self) -> None:
        """Remove every run's temporary folder."""
        for run in self.runs.values():
            run.close()


class StackFile(pytest.File):
    """A ``venvstacks.toml`` given with ``--venvstacks``: collects its layers."""

    run: StackRun

    def collect(self) -> Iterator[pytest.Item | pytest.Collector]:
        """One collector per layer checked on this platform."""
        for layer in self.run.layers():
            node = LayerNode.from_parent(self, name=layer.env_name)
            node.layer = layer
            yield node

    def repr_failure(  # type: ignore[override]
        self, excinfo: pytest.ExceptionInfo[BaseException]
    ) -> str:
        """One paragraph for a stack problem (invalid spec, bad option)."""
        return failure_text(excinfo) or str(super().repr_failure(excinfo))


class LayerNode(pytest.Collector):
    """One layer of a stack: collects one item per check that applies to it."""

    layer: LayerSpec

    def collect(self) -> Iterator[pytest.Item | pytest.Collector]:
        """The check items of this layer."""
        from pytest_venvstacks.items import CheckItem

        assert isinstance(self.parent, StackFile)
        run = self.parent.run
        settings = run.settings
        chosen = run.check.checks_for(
            self.layer, settings.skip_checks, plugins=settings.plugin_checks
        )
        for check in chosen:
            yield CheckItem.from_parent(self, name=check)


def failure_text(excinfo: pytest.ExceptionInfo[BaseException]) -> str | None:
    """The one-paragraph text of a venvstacks error (None: not one of ours)."""
    from venvstacks.errors import VenvStacksError

    if isinstance(excinfo.value, VenvStacksError):
        return excinfo.value.paragraph()
    return None
