"""The no-op build memo with real CLI processes on one small built stack.

A memo hit is proved by the process not importing the engine (``-X importtime``
through ``PYTHONPROFILEIMPORTTIME``, which is not part of the memo key); a miss by
the engine deciding again, with the right answer.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from pytest_venvstacks.project import StackProject
from tests.integration.stacks import SMALL_FILES, SMALL_SPEC

pytestmark = pytest.mark.integration

#: Not versioned, so an edited launch module means a rebuild, not a relock.
SPEC = SMALL_SPEC.replace("versioned = true\n", "")
NOTHING = "Nothing to do: all 3 layer(s) are up to date.\n"
ENGINE = "venvstacks.engine.stack"


@pytest.fixture(scope="module")
def project(
    tmp_path_factory: pytest.TempPathFactory, venvstacks_uv_cache, venvstacks_runtime_source
) -> StackProject:
    made = StackProject(
        tmp_path_factory.mktemp("noop"),
        uv_cache_dir=venvstacks_uv_cache,
        runtime_source=venvstacks_runtime_source,
    )
    made.write_files({"venvstacks.toml": SPEC, **SMALL_FILES})
    made.lock()
    made.build()
    return made


def build(
    project: StackProject, *args: str, env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], bool]:
    """Run ``venvstacks build ARGS``; also say whether the memo answered."""
    result = project.cli(
        "build", *args, env={"PYTHONPROFILEIMPORTTIME": "1", **(env or {})}
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result, ENGINE not in result.stderr


def settle(project: StackProject, *args: str, env: dict[str, str] | None = None) -> None:
    """Run the build until it is answered from its memo (the second run at most)."""
    first, hit = build(project, *args, env=env)
    assert first.returncode == 0, first.stderr
    if not hit:
        again, hit = build(project, *args, env=env)
        assert again.returncode == 0 and again.stdout == NOTHING, again.stderr
    assert hit


def test_a_no_op_run_writes_a_memo_that_the_next_run_uses(project: StackProject) -> None:
    first, hit = build(project)
    assert (first.returncode, first.stdout) == (0, NOTHING)
    assert not hit  # the engine decided (and wrote the memo)
    second, hit = build(project)
    assert (second.returncode, second.stdout, hit) == (0, NOTHING, True)
    assert "rich_click" not in second.stderr


def test_changed_arguments_or_variables_miss(project: StackProject) -> None:
    settle(project)
    for args, env in [
        ((".",), {}),
        (("--include", "app-*"), {}),
        ((), {"VENVSTACKS_JOBS": "1"}),
        ((), {"UV_OFFLINE": "1"}),
        ((), {"VENVSTACKS_NOOP_MEMO": "0"}),
    ]:
        result, hit = build(project, *args, env=env)
        assert not hit, (args, env)
        assert result.returncode == 0, result.stderr
        if args != ("--include", "app-*"):
            assert result.stdout == NOTHING


def test_verbose_json_and_show_runs_write_no_memo(project: StackProject) -> None:
    for args in (("-v",), ("--json",), ("--show",)):
        for _ in range(2):
            result, hit = build(project, *args)
            assert result.returncode == 0, result.stderr
            assert not hit, args


def test_an_edited_launch_module_is_rebuilt(project: StackProject) -> None:
    settle(project)
    app = project.root / "app.py"
    original = app.read_text()
    app.write_text(original.replace("app ok", "app OK"))
    try:
        result, hit = build(project)
        assert not hit
        assert result.returncode == 0, result.stderr
        assert result.stdout == "Build finished: 1 built, 2 unchanged.\n"
        # that build left everything current: the next run is answered by the memo
        again, hit = build(project)
        assert (again.stdout, hit) == (NOTHING, True)
        assert project.run_app("app-app").stdout.startswith("app OK")
    finally:
        app.write_text(original)
    result, hit = build(project)
    assert not hit and result.stdout == "Build finished: 1 built, 2 unchanged.\n"


def test_lock_files_rewritten_or_edited_miss(project: StackProject) -> None:
    settle(project)
    pylock = project.root / "requirements" / "framework-fw" / "pylock.framework-fw.toml"
    text = pylock.read_text()
    pylock.write_text(text + "# edited\n")
    try:
        result, hit = build(project)
        assert not hit
        assert result.returncode == 4
        assert "framework-fw" in result.stderr
    finally:
        pylock.write_text(text)  # what a relock with the same result writes
    result, hit = build(project)
    assert (result.returncode, result.stdout, hit) == (0, NOTHING, False)


def test_a_deleted_stamp_or_layer_is_rebuilt(project: StackProject) -> None:
    settle(project)
    (project.build_dir / "_state" / "app-app.json").unlink()
    result, hit = build(project)
    assert (result.stdout, hit) == ("Build finished: 1 built, 2 unchanged.\n", False)
    settle(project)
    shutil.rmtree(project.build_dir / "framework-fw")
    result, hit = build(project)
    assert result.returncode == 0, result.stderr
    assert not hit
    assert result.stdout == "Build finished: 1 built, 2 unchanged.\n"
    assert (project.build_dir / "framework-fw").is_dir()
    settle(project)


def test_no_memo_answer_while_another_command_holds_the_build_folder(
    project: StackProject,
) -> None:
    from venvstacks.engine.runlock import folder_lock
    from venvstacks.reporting import NullReporter

    settle(project, "--no-wait")
    with folder_lock(
        project.build_dir, "build folder", wait=False, reporter=NullReporter()
    ):
        result, hit = build(project, "--no-wait")
    assert not hit
    assert result.returncode != 0
    assert "another venvstacks command is using the build folder" in result.stderr
    settle(project, "--no-wait")
