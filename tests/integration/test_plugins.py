"""Plugins through the real plugin manager, engine API and CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.stacks import SMALL_FILES, SMALL_SPEC
from venvstacks import HookError, hookimpl

pytestmark = pytest.mark.integration


class AddsRequirement:
    """Adds 'attrs' to the app layer's requirements."""

    @hookimpl
    def venvstacks_pre_lock(self, layer, requirements):
        if layer.name == "app-app":
            requirements.append("attrs")


class MarksInstalls:
    seen: list[tuple[str, str, bool]]

    def __init__(self) -> None:
        self.seen = []

    @hookimpl
    def venvstacks_post_install(self, layer, env_path: Path):
        has_idna = any(env_path.glob("lib/python3.11/site-packages/idna"))
        self.seen.append((layer.name, layer.kind, has_idna))
        (env_path / "share").mkdir(exist_ok=True)
        (env_path / "share" / "marked-by-plugin.txt").write_text(layer.name)


class Explodes:
    @hookimpl
    def venvstacks_pre_lock(self, layer, requirements):
        if layer.kind == "framework":
            raise RuntimeError("boom in pre_lock")


def test_pre_lock_plugin_changes_the_lock_and_makes_old_locks_stale(stack_project) -> None:
    project = stack_project(SMALL_SPEC, SMALL_FILES)
    project.lock()
    app = project.stack().spec.layer("app-app")
    assert "attrs" not in {p.name for p in project.stack().lock_files(app).read_packages()}
    statuses = {
        s.env_name: s.state for s in project.stack([AddsRequirement()]).lock_status()
    }
    assert statuses == {"rt": "valid", "framework-fw": "valid", "app-app": "stale"}
    report = project.lock(plugins=[AddsRequirement()], if_needed=True)
    outcomes = {r.env_name: r.outcome for r in report.layers}
    assert outcomes == {"rt": "skipped", "framework-fw": "skipped", "app-app": "updated"}
    stack = project.stack([AddsRequirement()])
    assert "attrs" in {p.name for p in stack.lock_files(app).read_packages()}
    assert stack.lock_metadata(app).lock_version == 2
    assert stack.deployed_name(app) == "app-app@2"
    assert "attrs" in stack.lock_files(app).requirements_in.read_text()


def test_post_install_runs_after_packages_for_every_layer(stack_project) -> None:
    project = stack_project(SMALL_SPEC, SMALL_FILES)
    marker = MarksInstalls()
    project.build(plugins=[marker], lock_if_needed=True)
    assert marker.seen == [
        ("rt", "runtime", False),
        ("framework-fw", "framework", True),
        ("app-app", "application", False),
    ]
    for env in ("rt", "framework-fw", "app-app"):
        assert (project.env_path(env) / "share/marked-by-plugin.txt").read_text() == env
    # A post_install plugin is a build input: removing it rebuilds every layer.
    report = project.build()
    assert {r.outcome for r in report.layers} == {"built"}
    stamp = project.stack().build_dir / "_state" / "app-app.json"
    assert '"plugins": []' in stamp.read_text()


def test_raising_plugin_is_one_hook_error_naming_plugin_hook_and_layer(
    stack_project,
) -> None:
    project = stack_project(SMALL_SPEC, SMALL_FILES)
    with pytest.raises(HookError) as caught:
        project.lock(plugins=[Explodes()])
    error = caught.value
    assert error.hook == "venvstacks_pre_lock"
    assert error.layer == "framework-fw"
    assert "Explodes" in (error.plugin or "")
    assert "boom in pre_lock" in error.paragraph()
    assert "\n" not in error.paragraph()


def test_cli_plugin_option_and_env_var(stack_project) -> None:
    project = stack_project(SMALL_SPEC, SMALL_FILES)
    project.write(
        "explosive_plugin.py",
        """
        from venvstacks import hookimpl

        @hookimpl
        def venvstacks_pre_lock(layer, requirements):
            raise ValueError(f"refusing to lock {layer.name}")
        """,
    )
    env = {"PYTHONPATH": str(project.root)}
    for args, extra in (
        (["-p", "explosive_plugin", "lock"], {}),
        (["lock"], {"VENVSTACKS_PLUGINS": "explosive_plugin"}),
    ):
        result = project.cli(*args, env={**env, **extra})
        assert result.returncode == 8, result.stderr
        assert "Traceback" not in result.stderr
        text = " ".join(result.stderr.split())
        assert "plugin 'explosive_plugin'" in text
        assert "hook venvstacks_pre_lock" in text
        assert "refusing to lock rt" in text
    missing = project.cli("-p", "no_such_plugin_module", "show")
    assert missing.returncode == 2
    assert "cannot load plugin module 'no_such_plugin_module'" in " ".join(
        missing.stderr.split()
    )
