"""``pytest --venvstacks`` and ``venvstacks check`` on good stacks (real pytest runs).

The acceptance stack reuses the session's build of the layered stack
(``--venvstacks-build-dir``), so only publishing and the checks cost time here.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pytest_venvstacks.project import StackProject
from tests.integration.stacks import LAYERED_FILES, LAYERED_SPEC, SMALL_FILES, SMALL_SPEC

pytestmark = pytest.mark.integration

USERS_TESTS = """
import pytest

@pytest.mark.venvstacks_layers("app-*")
def test_app_runs(venvstacks_layer):
    assert venvstacks_layer.kind == "application"
    venvstacks_layer.launch()

def test_tool_sees_yaml(venvstacks_deployed):
    out = venvstacks_deployed["app-tool"].run_code("import yaml; print(yaml.__name__)")
    assert out.strip() == "yaml"
"""


@pytest.fixture(scope="module")
def layered(venvstacks_stacks) -> StackProject:
    return venvstacks_stacks.get("layered", LAYERED_SPEC, LAYERED_FILES)


def copy_project(project: StackProject, target: Path) -> Path:
    shutil.copytree(
        project.root, target, ignore=shutil.ignore_patterns("_build*", "_artifacts*")
    )
    return target


def common_args(uv_cache: Path | None, runtime_source: str) -> list[str]:
    # Paths go in the ``--option=value`` form: a bare path argument takes part in
    # pytest's rootdir search, and a cache inside this checkout would make the inner
    # run adopt our pyproject.toml (and its rootdir) instead of pytester's folder.
    args = ["--venvstacks-runtime-source", runtime_source, "-p", "no:cacheprovider"]
    if uv_cache is not None:
        args.append(f"--venvstacks-uv-cache={uv_cache}")
    return args


def test_acceptance_stack_passes_and_users_tests_run_on_deployed_layers(
    pytester: pytest.Pytester,
    layered: StackProject,
    venvstacks_uv_cache: Path | None,
    venvstacks_runtime_source: str,
) -> None:
    copy_project(layered, pytester.path / "stack")
    pytester.makepyfile(test_users=USERS_TESTS)
    result = pytester.runpytest(
        "test_users.py",
        "--venvstacks",
        "stack",
        f"--venvstacks-build-dir={layered.build_dir}",
        "-rA",
        *common_args(venvstacks_uv_cache, venvstacks_runtime_source),
    )
    outcomes = result.parseoutcomes()
    text = result.stdout.str()
    assert outcomes.get("failed", 0) == 0 and outcomes.get("errors", 0) == 0, text
    # 8 layers x 7 checks + 3 launch items, 3 app runs and one lookup by name.
    assert outcomes["passed"] + outcomes.get("skipped", 0) == 8 * 7 + 3 + 3 + 1, text
    assert "PASSED test_users.py::test_app_runs[app-tool]" in text
    assert "stack/venvstacks.toml::framework-web::dynlib" in text
    assert "venvstacks: stack/venvstacks.toml: 8 layers x 8 checks:" in text
    assert not (pytester.path / "stack" / "_build").exists()


def test_check_command_json(layered: StackProject, tmp_path: Path) -> None:
    project = StackProject(
        copy_project(layered, tmp_path / "stack"),
        uv_cache_dir=layered.uv_cache_dir,
        runtime_source=layered.runtime_source,
    )
    result = project.cli(
        "check",
        "--include",
        "app-plain",
        "--checks",
        "imports,launch,isolated",
        "--build-dir",
        str(layered.build_dir),
        "--json",
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    checked = {(r["layer"], r["check"]): r["status"] for r in data["results"]}
    assert checked[("app-plain", "launch")] == "passed"
    assert checked[("app-plain", "imports")] == "passed"
    assert checked[("app-plain", "isolated")] == "passed"
    assert data["counts"]["failed"] == 0


def test_lock_check_fresh_by_default_and_failing_when_locked(
    pytester: pytest.Pytester,
    venvstacks_uv_cache: Path | None,
    venvstacks_runtime_source: str,
) -> None:
    stack = pytester.path / "small"
    stack.mkdir()
    (stack / "venvstacks.toml").write_text(SMALL_SPEC)
    for name, text in SMALL_FILES.items():
        (stack / name).write_text(text)
    args = [
        "--venvstacks",
        "small",
        "--venvstacks-checks",
        "lock",
        "-rA",
        *common_args(venvstacks_uv_cache, venvstacks_runtime_source),
    ]
    fresh = pytester.runpytest(*args)
    fresh.assert_outcomes(passed=3)
    locked = pytester.runpytest(*args, "--venvstacks-locked")
    locked.assert_outcomes(failed=3)
    text = locked.stdout.str()
    assert "the project's lock is missing" in text and "venvstacks lock" in text
    assert not (stack / "requirements").exists()
    assert not (stack / "_build").exists()
