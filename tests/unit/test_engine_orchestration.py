"""Engine orchestration without uv or a real Python: selection, hook order and counts,
lock-state decisions and the publish pipeline's decisions (uv is :class:`FakeUv`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.unit.fake_uv import FakeUv
from venvstacks import hookimpl
from venvstacks.engine import EngineOptions, Stack
from venvstacks.engine.build_folder import BuildFolder
from venvstacks.engine.currency import build_inputs
from venvstacks.layers.layout import RuntimeShape, layout_for
from venvstacks.layers.venv import write_layer_config
from venvstacks.plugins import LayerContext, PluginManager
from venvstacks.runtimes.model import ResolvedRuntime

SPEC = """
[[runtimes]]
name = "rt"
python_implementation = "cpython@3.11"
requirements = ["numpy"]

[[frameworks]]
name = "fw"
runtime = "rt"
requirements = ["scipy", "numpy"]

[[frameworks]]
name = "other"
runtime = "rt"
requirements = ["idna"]

[[applications]]
name = "app"
frameworks = ["fw"]
launch_module = "app.py"
requirements = ["attrs", "scipy"]
"""

SHAPE = RuntimeShape("bin/python3.11", "lib/python3.11/site-packages", "3.11.7")


class FakeRuntime:
    """Resolves every runtime to 3.11.7 and 'fetches' an empty prefix."""

    def __init__(self, prefix: Path) -> None:
        self.prefix = prefix

    @hookimpl(tryfirst=True)
    def venvstacks_resolve_runtime(self, layer: LayerContext) -> ResolvedRuntime:
        return ResolvedRuntime("cpython", "3.11.7", "fake", str(self.prefix))

    @hookimpl(tryfirst=True)
    def venvstacks_fetch_runtime(self) -> Path:
        return self.prefix


class Recorder:
    """Records every content hook call as (hook, layer)."""

    def __init__(self, extra: dict[str, str] | None = None) -> None:
        self.calls: list[tuple[str, str]] = []
        self.extra = extra or {}

    @hookimpl
    def venvstacks_pre_lock(self, layer: LayerContext, requirements: list[str]) -> None:
        self.calls.append(("pre_lock", layer.name))
        if layer.name in self.extra:
            requirements.append(self.extra[layer.name])

    @hookimpl
    def venvstacks_pre_archive(self, layer: LayerContext, staging_path: Path) -> None:
        self.calls.append(("pre_archive", layer.name))

    def count(self, hook: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for called, layer in self.calls:
            if called == hook:
                counts[layer] = counts.get(layer, 0) + 1
        return counts


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "venvstacks.toml").write_text(SPEC)
    (root / "app.py").write_text("print('hello')\n")
    prefix = tmp_path / "python"
    (prefix / "bin").mkdir(parents=True)
    (prefix / "bin" / "python3.11").write_text("")
    return root


def make_stack(project: Path, uv: FakeUv, *plugins: object, jobs: int = 1) -> Stack:
    runtime = FakeRuntime(project.parent / "python")
    manager = PluginManager(entry_points=False, objects=[runtime, *plugins])
    options = EngineOptions(runtime_source="local", jobs=jobs)
    return Stack.load(project / "venvstacks.toml", options, plugins=manager, uv_runner=uv)


def outcomes(report: Any) -> dict[str, str]:
    return {r.env_name: r.outcome for r in report.layers}


def test_selection_globs_lower_and_derived_layers(project: Path) -> None:
    stack = make_stack(project, FakeUv())
    names = lambda layers: [x.env_name for x in layers]  # noqa: E731
    assert names(stack.select()) == ["rt", "framework-fw", "framework-other", "app-app"]
    assert names(stack.select(["framework-*"])) == ["framework-fw", "framework-other"]
    assert names(stack.select(["app-app"], with_lower=True)) == [
        "rt",
        "framework-fw",
        "app-app",
    ]
    assert names(stack.select(["framework-fw"], with_derived=True)) == [
        "framework-fw",
        "app-app",
    ]


def test_lock_order_hook_counts_and_uv_calls(project: Path) -> None:
    uv, recorder = FakeUv(), Recorder()
    report = make_stack(project, uv, recorder, jobs=2).lock()
    assert set(outcomes(report).values()) == {"locked"}
    # pre_lock once per layer; a layer's hook runs after its lower layers' hooks
    assert recorder.count("pre_lock") == dict.fromkeys(outcomes(report), 1)
    order = [layer for hook, layer in recorder.calls]
    assert order.index("rt") < order.index("framework-fw") < order.index("app-app")
    assert sorted(uv.commands()) == ["export"] * 4 + ["lock"] * 4
    app_lock = (project / "requirements/app-app/pylock.app-app.toml").read_text()
    assert 'name = "attrs"' in app_lock and "scipy" not in app_lock  # from fw


def test_lock_if_needed_keeps_valid_locks_and_calls_pre_lock_once(project: Path) -> None:
    make_stack(project, FakeUv()).lock()
    uv, recorder = FakeUv(), Recorder()
    report = make_stack(project, uv, recorder).lock(if_needed=True)
    assert set(outcomes(report).values()) == {"skipped"}
    assert recorder.count("pre_lock") == dict.fromkeys(outcomes(report), 1)
    assert uv.calls == []


def test_stale_lock_decisions(project: Path) -> None:
    make_stack(project, FakeUv()).lock()
    changed = Recorder(extra={"framework-other": "rich"})
    statuses = {
        s.env_name: s.state for s in make_stack(project, FakeUv(), changed).lock_status()
    }
    assert statuses == {
        "rt": "valid",
        "framework-fw": "valid",
        "framework-other": "stale",
        "app-app": "valid",
    }
    uv = FakeUv()
    report = make_stack(project, uv, changed).lock(if_needed=True)
    assert outcomes(report) == {
        "rt": "skipped",
        "framework-fw": "skipped",
        "framework-other": "updated",
        "app-app": "skipped",
    }
    assert uv.commands() == ["lock", "export"]
    pylock = project / "requirements/rt/pylock.rt.toml"
    pylock.write_text(pylock.read_text() + "# edited\n")
    statuses = {s.env_name: s.state for s in make_stack(project, FakeUv()).lock_status()}
    assert statuses["rt"] == "modified"
    assert statuses["framework-fw"] == "stale"  # a lower layer needs relocking


def test_layer_state_rule(project: Path, tmp_path: Path) -> None:
    stack = make_stack(project, FakeUv())
    layer = stack.spec.layer("framework-fw")
    assert (stack.layer_state(layer).locked, stack.layer_state(layer).built) == (
        False,
        False,
    )
    stack.lock()
    lock = stack.lock_metadata(layer)
    assert lock is not None
    state = stack.layer_state(layer)
    assert (state.locked, state.built, state.current, state.reason) == (
        True,
        False,
        False,
        "not built",
    )
    folder = stack.build_folder
    folder.env(layer.env_name).mkdir(parents=True)
    folder.write_stamp(layer.env_name, "sha256:in", {"requirements_hash": "other"})
    assert stack.layer_state(layer).reason == "built from another lock"
    folder.write_stamp(
        layer.env_name, "sha256:in", {"requirements_hash": lock.requirements_hash}
    )
    assert stack.layer_state(layer).current
    assert not stack.layer_state(layer, "sha256:new").current
    folder.invalidate(layer.env_name)
    assert not stack.layer_state(layer).built
    assert BuildFolder(tmp_path).stamp_path("x").parent.name == "_state"


def fake_build(stack: Stack) -> None:
    """Make every layer look built from its current lock (a few small files)."""
    folder = stack.build_folder
    for layer in stack.spec.layers():
        env = folder.env(layer.env_name)
        lock = stack.lock_metadata(layer)
        assert lock is not None
        write_layer_config(env, layout_for(stack.spec, layer, SHAPE))
        (env / "content.txt").write_text(layer.env_name)
        details = {"requirements_hash": lock.requirements_hash, "plugins": []}
        inputs_hash, _layout = build_inputs(stack, layer)
        folder.write_stamp(layer.env_name, inputs_hash, details)


def test_publish_pipeline_decisions(project: Path, tmp_path: Path) -> None:
    make_stack(project, FakeUv()).lock()
    out = tmp_path / "out"
    recorder = Recorder()
    stack = make_stack(project, FakeUv(), recorder)
    with pytest.raises(Exception, match="not built from its current lock"):
        stack.publish(out, fmt="zst", bytecode=False)
    fake_build(stack)
    first = stack.publish(out, fmt="zst", bytecode=False)
    assert set(outcomes(first).values()) == {"archived"}
    assert recorder.count("pre_archive") == dict.fromkeys(outcomes(first), 1)
    meta = json.loads((out / "__venvstacks__/env_metadata/app-app.json").read_text())
    assert (meta["archive_build"], meta["install_target"]) == (1, "app-app")
    assert meta["required_layers"] == ["framework-fw"]

    recorder.calls.clear()
    again = make_stack(project, FakeUv(), recorder).publish(out, fmt="zst", bytecode=False)
    assert set(outcomes(again).values()) == {"unchanged"}
    assert {r.reason for r in again.layers} == {"inputs unchanged"}
    assert recorder.count("pre_archive") == {}
    # publish checks that locks are current: pre_lock runs once per layer per command
    assert recorder.count("pre_lock") == dict.fromkeys(outcomes(again), 1)

    forced = make_stack(project, FakeUv()).publish(
        out, ["app-*"], fmt="zst", force=True, dry_run=True, bytecode=False
    )
    assert outcomes(forced) == {"app-app": "planned"}
    assert forced.layers[0].metadata["archive_build"] == 2

    (out / "app-app.tar.zst").write_bytes(b"truncated")  # size no longer matches
    redo = make_stack(project, FakeUv()).publish(out, fmt="zst", bytecode=False)
    assert outcomes(redo)["app-app"] == "archived"
    assert {r.env_name: r.reason for r in redo.layers}["app-app"] == "inputs changed"
    meta = json.loads((out / "__venvstacks__/env_metadata/app-app.json").read_text())
    assert meta["archive_build"] == 2
    manifest = json.loads((out / "__venvstacks__/venvstacks.json").read_text())
    assert [x["layer_name"] for x in manifest["layers"]["frameworks"]] == [
        "framework-fw",
        "framework-other",
    ]
