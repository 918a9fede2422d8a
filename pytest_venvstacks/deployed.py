"""Deployed layers for users' own tests, and the per-stack summary line."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_venvstacks.collect import RUNS_KEY, StackRun, StackRuns

if TYPE_CHECKING:
    from venvstacks.checks import LayerFolder


class DeployedLayer:
    """A layer unpacked from its published archive, ready to run.

    :ivar env_name: the layer's env name (``app-report``).
    :ivar kind: ``runtime``, ``framework`` or ``application``.
    :ivar path: the deployed layer folder (named by its deployed name).
    :ivar python: the layer's interpreter.
    :ivar launch_module: an application's launch module name (else None).
    """

    def __init__(self, folder: LayerFolder) -> None:
        self.env_name = folder.env_name
        self.kind = folder.kind
        self.path = folder.path
        self.python = folder.interpreter
        self.launch_module = folder.launch_module

    def run(
        self, *args: str, check: bool = True, env: Mapping[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run the layer's Python with ``-I`` and ``args``; output captured as text."""
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        full_env.update(env or {})
        result = subprocess.run(
            [str(self.python), "-I", *args],
            capture_output=True,
            text=True,
            env=full_env,
            cwd=self.path.parent,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"{self.env_name}: python {' '.join(args)} failed with status "
                f"{result.returncode}\n{result.stderr}"
            )
        return result

    def run_code(self, code: str, check: bool = True) -> str:
        """Run Python source with the layer's Python; its standard output."""
        return self.run("-c", code, check=check).stdout

    def launch(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run an application's launch module (``python -m``) with ``args``."""
        if self.launch_module is None:
            raise ValueError(f"{self.env_name} is not an application layer")
        return self.run("-m", self.launch_module, *args, check=check)

    def __repr__(self) -> str:
        return f"DeployedLayer({self.env_name!r}, {str(self.path)!r})"


def _runs(session: pytest.Session) -> StackRuns:
    runs = session.config.stash.get(RUNS_KEY, None)
    if runs is None:
        pytest.skip("no stack under test: pass --venvstacks DIR")
    return runs


def _deployed(session: pytest.Session, run: StackRun) -> dict[str, DeployedLayer]:
    report = run.report(session)
    return {name: DeployedLayer(folder) for name, folder in report.deployed.items()}


def deployed_layer(session: pytest.Session, spec: Path, name: str) -> DeployedLayer:
    """One deployed layer (the test fails when it could not be deployed)."""
    run = _runs(session).runs[spec]
    layers = _deployed(session, run)
    if name not in layers:
        problems = [
            r.message
            for (layer, check), r in run.report(session).results.items()
            if layer == name and check in ("lock", "build") and not r.ok
        ]
        pytest.fail(
            f"layer {name} of {spec} was not deployed"
            + (f": {problems[0]}" if problems else ""),
            pytrace=False,
        )
    return layers[name]


def all_deployed(session: pytest.Session) -> dict[str, DeployedLayer]:
    """Every deployed layer of every stack under test, by env name."""
    found: dict[str, DeployedLayer] = {}
    for run in _runs(session).runs.values():
        found.update(_deployed(session, run))
    return found


def summary_lines(runs: StackRuns, config: pytest.Config) -> list[str]:
    """``venvstacks: <spec>: N layers x M checks: ...`` for each stack that ran."""
    lines = []
    for run in runs.runs.values():
        report = run.finished_report
        if report is None:
            continue
        shown = Path(
            os.path.relpath(run.spec_path, config.invocation_params.dir)
        ).as_posix()
        checks = sorted({check for _layer, check in report.results})
        counts = report.counts()
        lines.append(
            f"venvstacks: {shown}: {len(report.layers)} layers x {len(checks)} checks: "
            + ", ".join(f"{n} {status}" for status, n in counts.items())
        )
    return lines
