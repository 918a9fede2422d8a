"""``check``: lock, build and publish a copy of a stack once, then check every layer.

The project (the spec's folder, without build outputs) is copied into a work folder,
so locks made here never touch the project's ``requirements/``; layers are built in
the work folder unless the options name a build folder. Lock, build and publish run
once for every layer asked for (and the layers below them); a layer whose step fails
fails that step's check, its other checks and those of the layers above it say why,
and the other layers go on. The per-layer checks (``venvstacks.checks``) then run in
a thread pool: they spend their time in subprocesses and file reads.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeAlias, TypeVar

from venvstacks.checks import CHECK_NAMES, CheckResult, LayerFolder, failed, passed
from venvstacks.checks.imports import DEFAULT_SKIP
from venvstacks.engine.checksteps import StepRunner, deploy_and_check, rearchive
from venvstacks.engine.options import EngineOptions
from venvstacks.engine.stack import Stack
from venvstacks.errors import UsageError
from venvstacks.plugins.manager import PluginManager
from venvstacks.reporting import Reporter
from venvstacks.spec.model import ApplicationSpec, LayerSpec, module_name

T = TypeVar("T")

#: A check added by a plugin: ``function(layer_path, python) -> None | message``.
PluginCheck: TypeAlias = Callable[[Path, Path], "str | None"]

#: Folders of a project that are outputs, never copied into the work folder.
_NOT_COPIED = ("_build*", "_artifacts*", "_export*", ".git", ".venv", ".tox", "__pycache__")


@dataclass(frozen=True)
class CheckOptions:
    """What ``check`` runs.

    :ivar checks: the checks to run (default: all).
    :ivar locked: a missing or stale lock fails the ``lock`` check (projects that
        commit their locks); otherwise it is made afresh in the work folder.
    :ivar skip_modules: module name globs the ``imports`` check does not import.
    :ivar archive_format: the format layers are archived in for the archive checks.
    :ivar work_dir: where the project copy goes (default: a new temporary folder).
    """

    checks: tuple[str, ...] = CHECK_NAMES
    locked: bool = False
    skip_modules: tuple[str, ...] = DEFAULT_SKIP
    archive_format: str = "zst"
    work_dir: Path | None = None


@dataclass
class CheckReport:
    """Every check result of a stack, and where its layers were built and deployed."""

    spec_path: Path
    layers: tuple[str, ...]
    results: dict[tuple[str, str], CheckResult] = field(default_factory=dict)
    built: dict[str, LayerFolder] = field(default_factory=dict)
    deployed: dict[str, LayerFolder] = field(default_factory=dict)
    work_dir: Path | None = None

    def result(self, layer: str, check: str) -> CheckResult | None:
        """The result of one check on one layer (None: not run)."""
        return self.results.get((layer, check))

    @property
    def ok(self) -> bool:
        """True when no check failed."""
        return all(r.ok for r in self.results.values())

    def counts(self) -> dict[str, int]:
        """How many results have each status."""
        counts = {"passed": 0, "failed": 0, "skipped": 0}
        for r in self.results.values():
            counts[r.status] += 1
        return counts


def copy_project(spec_path: Path, work_dir: Path) -> Path:
    """Copy the spec's folder (without outputs) into ``work_dir``; the copied spec."""
    target = work_dir / "project"
    shutil.copytree(
        spec_path.parent,
        target,
        symlinks=True,
        ignore=shutil.ignore_patterns(*_NOT_COPIED),
    )
    return target / spec_path.name


class StackCheck:
    """One stack under test: its work folder, its engine Stack and its results."""

    def __init__(
        self,
        spec_path: Path,
        options: EngineOptions,
        check_options: CheckOptions | None = None,
        *,
        plugins: PluginManager | None = None,
        reporter: Reporter | None = None,
    ) -> None:
        self.check_options = check_options or CheckOptions()
        unknown = set(self.check_options.checks) - set(CHECK_NAMES)
        if unknown:
            raise UsageError(
                f"unknown check(s): {', '.join(sorted(unknown))}",
                hint=f"Checks: {', '.join(CHECK_NAMES)}.",
            )
        self.source_spec = spec_path
        self.project_dir = spec_path.parent
        self._own_work_dir = self.check_options.work_dir is None
        self.work_dir = self.check_options.work_dir or Path(
            tempfile.mkdtemp(prefix="venvstacks-check-")
        )
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self._plugin_checks: dict[str, dict[str, PluginCheck]] = {}
        copied = copy_project(spec_path, self.work_dir)
        self.stack = Stack.load(copied, options, plugins=plugins, reporter=reporter)

    def plugin_checks(self, env_name: str) -> dict[str, PluginCheck]:
        """The checks plugins add to a layer (``venvstacks_layer_checks``), by name."""
        if env_name not in self._plugin_checks:
            layer = self.stack.spec.layer(env_name)
            self._plugin_checks[env_name] = self.stack.plugins.hooks.layer_checks(
                self.stack.context(layer)
            )
        return self._plugin_checks[env_name]

    def checks_for(
        self, layer: LayerSpec, skip: Collection[str] = (), *, plugins: bool = True
    ) -> tuple[str, ...]:
        """The checks that apply to a layer: the chosen built-ins, then plugins' checks."""
        chosen = [
            c
            for c in self.check_options.checks
            if c != "launch" or isinstance(layer, ApplicationSpec)
        ]
        if plugins:
            chosen += [c for c in self.plugin_checks(layer.env_name) if c not in chosen]
        return tuple(c for c in chosen if c not in skip)

    def close(self) -> None:
        """Remove the work folder (when it is a temporary one)."""
        if self._own_work_dir:
            shutil.rmtree(self.work_dir, ignore_errors=True)

    def layers(self, include: Sequence[str] = ()) -> tuple[LayerSpec, ...]:
        """The layers that are checked on this platform (matching ``include``)."""
        platform = self.stack.options.target_platform
        return tuple(
            layer
            for layer in self.stack.select(include)
            if layer.enabled and layer.targets(platform)
        )

    def run(
        self,
        wanted: Mapping[str, Collection[str]] | None = None,
        deploy: Collection[str] = (),
    ) -> CheckReport:
        """Run the wanted checks (env name -> check names; default: all of them).

        Layers named in ``deploy`` are published and deployed even when no archive
        check was asked for them (``CheckReport.deployed``).
        """
        stack = self.stack
        if wanted is None:
            wanted = {layer.env_name: self.check_options.checks for layer in self.layers()}
        needed = {name for name in wanted if wanted[name]} | set(deploy)
        for name in list(needed):
            needed.update(
                x.env_name for x in stack.spec.lower_layers(stack.spec.layer(name))
            )
        names = [
            layer.env_name for layer in stack.spec.layers() if layer.env_name in needed
        ]
        report = CheckReport(self.source_spec, tuple(names), work_dir=self.work_dir)
        steps = StepRunner(stack, names, self.check_options.locked)
        steps.lock()
        only_locks = not deploy and all(set(c) <= {"lock"} for c in wanted.values())
        if not only_locks:
            steps.build()
        for name in names:
            for check in ("lock",) if only_locks else ("lock", "build"):
                report.results[(name, check)] = steps.result(name, check)
        if only_locks:
            return self._only_wanted(report, wanted)
        good = [n for n in names if steps.usable(n)]
        report.built = {
            n: self.folder(stack.spec.layer(n), stack.build_folder.env(n)) for n in good
        }
        tasks: list[Callable[[], CheckResult]] = []
        for name in names:
            for check in wanted.get(name, ()):
                if check in ("lock", "build"):
                    continue
                blocked = steps.blocked(name, check)
                if blocked is not None:
                    report.results[(name, check)] = blocked
                elif check in ("imports", "launch", "dynlib", "isolated"):
                    tasks.append(self._folder_task(check, report.built[name]))
                elif check in self.plugin_checks(name):
                    function = self.plugin_checks(name)[check]
                    tasks.append(plugin_task(check, report.built[name], function))
        archive_checks = {"reproducible", "relocatable"}
        to_archive = {n for n in good if archive_checks & set(wanted.get(n, ()))}
        to_archive |= set(deploy)
        for name in list(to_archive):
            lower = stack.spec.lower_layers(stack.spec.layer(name))
            to_archive.update(x.env_name for x in lower)
        archived = [n for n in good if n in to_archive]
        if archived:
            out = self.work_dir / "archives"
            archives = steps.publish(archived, out, self.check_options.archive_format)
            for name in archived:
                for check in archive_checks & set(wanted.get(name, ())):
                    blocked = steps.blocked(name, check)
                    if blocked is not None:
                        report.results[(name, check)] = blocked
            published = {n: archives[n] for n in archived if n in archives}
            wants = {n for n in published if "reproducible" in wanted.get(n, ())}
            if wants:
                tasks.extend(
                    rearchive(
                        stack,
                        sorted(wants),
                        published,
                        self.work_dir,
                        self.check_options.archive_format,
                    )
                )
            relocated = sorted(n for n in published if "relocatable" in wanted.get(n, ()))
            deployed, deploy_tasks = deploy_and_check(
                stack,
                published,
                relocated,
                self.work_dir,
                self.forbidden(),
                lambda name, path: self.folder(stack.spec.layer(name), path),
            )
            report.deployed = deployed
        else:
            deploy_tasks = []
        for result in self._run_all(tasks):
            report.results[(result.layer, result.check)] = result
        for result in self._run_all(list(deploy_tasks)):
            report.results[(result.layer, result.check)] = result
        return self._only_wanted(report, wanted)

    @staticmethod
    def _only_wanted(
        report: CheckReport, wanted: Mapping[str, Collection[str]]
    ) -> CheckReport:
        """Drop the results of layers and checks that were only needed, not asked for."""
        report.results = {
            key: result
            for key, result in report.results.items()
            if key[1] in wanted.get(key[0], ())
        }
        report.layers = tuple(n for n in report.layers if wanted.get(n))
        return report

    def forbidden(self) -> list[str]:
        """Paths no deployed file may hold: the build folder and the project folder."""
        return [str(self.stack.build_dir) + "/", str(self.project_dir) + "/"]

    def folder(self, layer: LayerSpec, path: Path) -> LayerFolder:
        """A layer folder's description (with an application's support modules)."""
        support: tuple[str, ...] = ()
        if isinstance(layer, ApplicationSpec):
            support = tuple(module_name(p) for p in layer.support_modules)
        return LayerFolder.read(path, layer.env_name, layer.kind, support)

    def _folder_task(self, check: str, layer: LayerFolder) -> Callable[[], CheckResult]:
        from venvstacks.checks.imports import check_imports
        from venvstacks.checks.isolation import check_isolated
        from venvstacks.checks.launch import check_launch

        skip = self.check_options.skip_modules
        functions: dict[str, Callable[[], CheckResult]] = {
            "imports": lambda: check_imports(layer, skip),
            "launch": lambda: check_launch(layer),
            "dynlib": lambda: self._dynlib(layer),
            "isolated": lambda: check_isolated(layer),
        }
        return functions[check]

    def _dynlib(self, folder: LayerFolder) -> CheckResult:
        from venvstacks.checks.dynlib import check_dynlib
        from venvstacks.layers.dynlibs import provider_layers
        from venvstacks.layers.layout import read_runtime_shape

        spec = self.stack.spec
        layer = spec.layer(folder.env_name)
        runtime_root = folder.root / spec.runtime_of(layer).env_name
        shape = read_runtime_shape(runtime_root)
        providers = (
            provider_layers(spec, layer, shape, folder.root) if shape is not None else []
        )
        return check_dynlib(
            folder, providers, runtime_root, self.stack.options.target_platform
        )

    def _run_all(self, tasks: list[Callable[[], CheckResult]]) -> list[CheckResult]:
        if not tasks:
            return []
        workers = max(2, self.stack.options.worker_count)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(lambda task: task(), tasks))


def plugin_task(
    check: str, layer: LayerFolder, function: PluginCheck
) -> Callable[[], CheckResult]:
    """A task running a plugin's check on a built layer."""

    def task() -> CheckResult:
        try:
            message = function(layer.path, layer.interpreter)
        except Exception as exc:
            message = f"{type(exc).__name__}: {exc}"
        if message:
            return failed(check, layer.env_name, str(message))
        return passed(check, layer.env_name, "passed (a plugin's check)")

    return task


def check_stack(
    spec_path: Path,
    options: EngineOptions,
    check_options: CheckOptions | None = None,
    *,
    include: Sequence[str] = (),
    skip: Collection[str] = (),
    plugin_checks: bool = True,
    plugins: PluginManager | None = None,
    reporter: Reporter | None = None,
) -> CheckReport:
    """Check a stack in a temporary work folder (removed afterwards).

    ``skip`` names checks not to run (also plugins' checks); ``plugin_checks=False``
    leaves out every check plugins add.
    """
    run = StackCheck(spec_path, options, check_options, plugins=plugins, reporter=reporter)
    try:
        layers = run.layers(include)
        return run.run(
            {
                layer.env_name: run.checks_for(layer, skip, plugins=plugin_checks)
                for layer in layers
            }
        )
    finally:
        run.close()


__all__ = ["CheckOptions", "CheckReport", "StackCheck", "check_stack"]
