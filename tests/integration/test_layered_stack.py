"""The issue's acceptance stack: two runtimes, a framework DAG, three apps."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_venvstacks import StackProject
from tests.integration.stacks import LAYERED_FILES, LAYERED_SPEC, TOOL_IMPORTS

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def layered(venvstacks_stacks) -> StackProject:
    return venvstacks_stacks.get("layered", LAYERED_SPEC, LAYERED_FILES)


def app_report(project: StackProject, app: str, root: Path | None = None) -> dict:
    return json.loads(project.run_app(app, root=root).stdout)


def test_each_import_comes_from_the_layer_that_provides_it(layered: StackProject) -> None:
    assert app_report(layered, "app-tool") == TOOL_IMPORTS
    assert app_report(layered, "app-plain") == {
        "certifi": "framework-http",
        "idna": "framework-http",
        "packaging": "app-plain",
        "six": "cpython-3.11",
    }
    modern = app_report(layered, "app-modern")
    assert modern["version"] == [3, 12]
    assert "/app-modern/" in modern["packaging"]


def installed_distributions(env: Path) -> set[str]:
    names = set()
    for dist_info in env.glob("**/site-packages/*.dist-info"):
        names.add(dist_info.name.split("-")[0].lower().replace("_", "-"))
    for dist_info in env.glob("**/dist-packages/*.dist-info"):
        names.add(dist_info.name.split("-")[0].lower().replace("_", "-"))
    return names


def test_no_distribution_is_installed_twice_in_one_chain(layered: StackProject) -> None:
    stack = layered.stack()
    for app in stack.spec.applications.values():
        chain = [app, *stack.spec.lower_layers(app)]
        seen: dict[str, str] = {}
        for layer in chain:
            for name in installed_distributions(layered.env_path(layer.env_name)):
                assert name not in seen, f"{name} in {layer.env_name} and {seen[name]}"
                seen[name] = layer.env_name
        assert seen, app.env_name


def test_lower_layer_packages_are_left_out_of_upper_locks(layered: StackProject) -> None:
    files = layered.stack().lock_files
    stack = layered.stack()
    tool = files(stack.spec.layer("app-tool"))
    names = {p.name for p in tool.read_packages()}
    assert names == {"attrs"}
    meta = tool.read_meta()
    inherited = {(p.name, p.layer) for p in meta.inherited_packages()}
    assert ("idna", "framework-http") in inherited
    assert ("six", "cpython-3.11") in inherited
    summary = tool.summary.read_text()
    assert "idna==" in summary and "# from framework-http" in summary


def tree_digest(folder: Path) -> dict[str, tuple[str, int]]:
    return {
        str(p.relative_to(folder)): (
            hashlib.sha256(p.read_bytes()).hexdigest(),
            p.stat().st_mtime_ns,
        )
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_relocking_unchanged_stack_changes_no_file(layered: StackProject) -> None:
    requirements = layered.root / "requirements"
    before = tree_digest(requirements)
    report = layered.lock()
    assert {r.outcome for r in report.layers} == {"unchanged"}
    assert tree_digest(requirements) == before
    report = layered.lock(if_needed=True)
    assert {r.outcome for r in report.layers} == {"skipped"}


def test_lock_records_exclude_newer_as_lock_time_and_versions(
    layered: StackProject,
) -> None:
    stack = layered.stack()
    for layer in stack.spec.layers():
        meta = stack.lock_metadata(layer)
        assert meta.locked_at == "2025-06-01T00:00:00+00:00"
        assert meta.lock_version == 1
    assert stack.deployed_name(stack.spec.layer("app-modern")) == "app-modern@1"
    runtime = stack.lock_metadata(stack.spec.layer("cpython-3.12"))
    assert runtime.python_implementation.startswith("cpython@3.12.")


def test_second_build_does_no_work(layered: StackProject) -> None:
    report = layered.build()
    assert report.nothing_to_do
    assert {r.outcome for r in report.layers} == {"unchanged"}


def test_noop_cli_build_does_nothing(layered: StackProject) -> None:
    # How fast a no-op build is gets measured in bench/noop_bench.py (medians against
    # `import rich_click`); a test only checks that the CLI finds nothing to do.
    result = layered.cli("build", "-q", "--build-dir", str(layered.build_dir))
    assert result.returncode == 0, result.stderr
    assert "Nothing to do" in result.stdout


def test_layers_run_isolated_from_user_site_and_host(
    layered: StackProject, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    user_site = home / ".local/lib/python3.11/site-packages"
    user_site.mkdir(parents=True)
    (user_site / "leaky_user_module.py").write_text("")
    env = {"HOME": str(home), "PYTHONNOUSERSITE": ""}
    code = (
        "import sys, importlib.util as u;"
        "print(u.find_spec('leaky_user_module') is None);"
        "print(any('/.pyenv/' in p and 'site-packages' in p for p in sys.path))"
    )
    for isolated in (True, False):
        out = layered.run_python("app-tool", "-c", code, isolated=isolated, env=env)
        assert out.stdout.split() == ["True", "False"]


def test_sys_path_order_is_own_layer_then_linearised_lower_layers(
    layered: StackProject,
) -> None:
    code = (
        "import sys, json; print(json.dumps([p for p in sys.path if 'site-packages' in p]))"
    )
    paths = json.loads(layered.run_python("app-tool", "-c", code).stdout)
    layers = [Path(p).parts[-4] for p in paths]
    assert layers == [
        "app-tool",
        "framework-web",
        "framework-http",
        "framework-yaml",
        "cpython-3.11",
    ]


def test_build_folder_runs_after_being_moved(layered: StackProject, tmp_path: Path) -> None:
    moved = tmp_path / "moved 🐸 build"
    shutil.copytree(layered.build_dir, moved, symlinks=True)
    assert app_report(layered, "app-tool", root=moved)["attrs"] == "app-tool"
    prefix = layered.run_python(
        "app-plain", "-c", "import sys; print(sys.prefix)", root=moved
    )
    assert prefix.stdout.strip() == str(moved / "app-plain")


def test_runtime_python_reports_its_own_prefix(layered: StackProject) -> None:
    out = layered.run_python("cpython-3.11", "-c", "import sys; print(sys.prefix)")
    assert out.stdout.strip() == str(layered.env_path("cpython-3.11"))


def test_show_json_reports_locks_and_builds(layered: StackProject) -> None:
    result = layered.cli("show", "--json", "--build-dir", str(layered.build_dir))
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    layers = info["runtimes"] + info["frameworks"] + info["applications"]
    by_name = {layer["name"]: layer for layer in layers}
    assert by_name["app-modern"]["install_target"] == "app-modern@1"
    assert by_name["framework-web"]["lower_layers"] == [
        "framework-http",
        "framework-yaml",
        "cpython-3.11",
    ]
    assert all(layer["lock"]["state"] == "valid" for layer in layers)
    assert all(layer["has_valid_lock"] for layer in layers)
    assert all(layer["built"] for layer in layers)


def test_engine_never_imports_front_door_libraries() -> None:
    code = (
        "import sys, venvstacks, venvstacks.engine.building, venvstacks.engine.locking,"
        " venvstacks.engine.inspect, venvstacks.runtimes, venvstacks.lock, venvstacks.layers;"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('click', 'rich_click', 'rich', 'pytest', '_pytest'));"
        "print(bad)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": ""},
    )
    assert out.stdout.strip() == "[]"
